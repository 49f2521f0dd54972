import { afterEach, describe, expect, it } from 'vitest';
import { embeddedStation } from '../../support/station.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function station() {
  const s = await embeddedStation();
  cleanups.push(s.cleanup);
  return s.app;
}

describe('API request validation', () => {
  it('refuses an unknown key instead of dropping it, naming the keys it takes', async () => {
    const app = await station();
    const started = performance.now();
    const response = await app.inject({
      method: 'POST',
      url: '/devices/scanner-hid/capture',
      payload: { mode: 'flat-single', timeout: 1000 },
    });
    // Before, `timeout` was stripped and the capture waited the default 10 s for a finger.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('REQUEST_INVALID');
    expect(error.problems).toEqual([
      {
        key: 'body/timeout',
        message: 'unknown key; allowed keys here: mode, timeoutMs, format',
        allowed: ['mode', 'timeoutMs', 'format'],
      },
    ]);
    expect(error.message).toContain('body/timeout: unknown key');
  });

  it('lists the allowed values of an enumerated field, and every problem at once', async () => {
    const app = await station();
    const response = await app.inject({
      method: 'POST',
      url: '/devices/scanner-hid/capture',
      payload: { mode: 'palm', format: 'tiff' },
    });
    expect(response.statusCode).toBe(400);
    const { problems } = response.json().error;
    expect(problems).toContainEqual(
      expect.objectContaining({ key: 'body/mode', allowed: expect.arrayContaining(['flat-single']) }),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: 'body/format',
        message: expect.stringMatching(/^must be one of: .*png/),
      }),
    );
  });

  it('names the alternatives when a body must take one of several shapes', async () => {
    const app = await station();
    const response = await app.inject({
      method: 'POST',
      url: '/cards/read',
      payload: { dateOfBirth: '990101' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([
      {
        key: 'body',
        message:
          'needs one of: id12 + dateOfBirth + dateOfExpiry; or documentNumber + dateOfBirth + dateOfExpiry; or qr',
      },
    ]);
  });

  it('refuses unknown keys on the card and simulator routes too', async () => {
    const app = await station();
    let response = await app.inject({
      method: 'POST',
      url: '/cards/read',
      payload: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101', pin: '1234' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems[0]).toMatchObject({ key: 'body/pin' });
    response = await app.inject({
      method: 'PUT',
      url: '/sim/scanner-hid/scenario',
      payload: { scenario: 'dry', scenarioName: 'wet' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems[0]).toMatchObject({ key: 'body/scenarioName' });
  });
});

describe('GET /', () => {
  it('says what the service is and points to /health and the docs', async () => {
    const app = await station();
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ health: '/health', environment: 'test' });
    expect(body.docs).toMatch(/README/);
    expect(Object.keys(body.routes)).toEqual(
      expect.arrayContaining(['GET /health', 'POST /cards/read', 'GET /sim/']),
    );
    // Every route it names answers (the parameterised and POST ones are listed, not probed; the
    // event streams never end: store-and-forward.test.ts reads /outbox/events, streams-station.test.ts
    // the /streams/ ones).
    for (const route of Object.keys(body.routes).filter(
      (r) =>
        r.startsWith('GET ') && !r.includes('/:') && !r.endsWith('/events') && !r.startsWith('GET /streams/'),
    ))
      expect((await app.inject({ method: 'GET', url: route.slice(4) })).statusCode, route).toBe(200);
  });
});
