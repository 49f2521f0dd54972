/**
 * The live streams of the composed station (simulated devices, embedded central) over a real socket:
 * the officer's session, the Host allowlist, device and capture events from a real simulated HID
 * capture, fingerprint preview frames with the hot path's checks, camera preview frames, and the
 * listeners let go when the client leaves.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../station/auth/plugin.ts';
import { AuthService } from '../../station/auth/service.ts';
import { systemClock } from '../../station/clock.ts';
import { SseClient } from '../support/sse-client.ts';
import { embeddedStation, tempDir, testConfig } from '../support/station.ts';

let app: FastifyInstance;
let base: string;
let cookie: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = tempDir('streams-auth-');
  const auth = new AuthService({
    dataDir: tmp.dir,
    clock: systemClock,
    settings: testConfig({}, tmp.dir).auth,
    scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 32 },
  });
  await auth.admin.add({
    id: 'off-0001',
    displayName: 'Nguyễn Văn A',
    roles: ['officer'],
    password: 'officer password',
  });
  const station = await embeddedStation(
    { devices: { cardReader: { mode: 'disabled' }, barcode: { mode: 'disabled' } } },
    systemClock,
    { auth },
  );
  app = station.app;
  cleanup = async () => {
    await station.cleanup();
    tmp.remove();
  };
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'off-0001', password: 'officer password' }),
  });
  expect(login.status).toBe(200);
  const token = /__Host-cccd-session=([^;]+)/.exec(login.headers.getSetCookie()[0] ?? '')?.[1];
  cookie = `${SESSION_COOKIE}=${token}`;
}, 120_000);

afterAll(async () => cleanup?.());

const capture = (mode = 'flat-single') =>
  fetch(`${base}/devices/scanner-hid/capture`, {
    method: 'POST',
    // A write with the session cookie carries the station's own Origin, as the screen's would.
    headers: { 'content-type': 'application/json', cookie, origin: base },
    body: JSON.stringify({ mode, timeoutMs: 20_000 }),
  });

describe('the live streams of the station', () => {
  it("need the officer's session, and answer only at an allowed Host", async () => {
    const anonymous = await SseClient.open(base, '/streams/devices');
    expect(anonymous.status).toBe(401);
    anonymous.close();
    const rebound = await SseClient.open(base, '/streams/devices', { cookie, host: 'evil.example' });
    expect(rebound.status).toBe(421);
    rebound.close();
  });

  it('tell device states first, then a capture as it happens, in order', async () => {
    const client = await SseClient.open(base, '/streams/devices', { cookie });
    expect(client.status).toBe(200);
    expect(client.res.headers['content-security-policy']).toContain("default-src 'self'");
    const first = await client.next();
    expect(first.event).toBe('devices');
    const devices = (first.data as { devices: { id: string; state: { status: string } }[] }).devices;
    expect(devices.map((d) => d.id)).toContain('scanner-hid');

    const answer = await capture();
    expect(answer.status).toBe(200);
    await client.until((events) =>
      events.some((e) => e.event === 'capture' && (e.data as { type: string }).type === 'ended'),
    );
    const scanner = client.events
      .filter((e) => e.event === 'capture' && (e.data as { id: string }).id === 'scanner-hid')
      .map((e) => e.data as { type: string; status?: string; outcome?: string; mode?: string });
    expect(scanner[0]).toEqual({ id: 'scanner-hid', type: 'started', mode: 'flat-single' });
    expect(scanner.at(-1)).toEqual({ id: 'scanner-hid', type: 'ended', outcome: 'result' });
    const statuses = scanner.filter((e) => e.type === 'status').map((e) => e.status);
    expect(statuses.indexOf('capturing')).toBeLessThan(statuses.indexOf('processing'));
    // The captured image never goes to a stream.
    expect(JSON.stringify(client.events)).not.toContain('"pixels"');
    client.close();
  }, 60_000);

  it('sends fingerprint preview frames with the checks and advice while a capture runs', async () => {
    const client = await SseClient.open(base, '/streams/scanner/scanner-hid/preview', { cookie });
    expect(client.status).toBe(200);
    const answer = await capture();
    expect(answer.status).toBe(200);
    // The caller of the capture still gets its image, and saw the previews the stream asked for.
    const body = (await answer.json()) as { previews: number; image: { png: string } };
    expect(body.previews).toBeGreaterThan(0);
    const preview = await client.next('preview', 20_000);
    const frame = preview.data as {
      width: number;
      height: number;
      ppi: number;
      image: { width: number; height: number; jpeg: string };
      quality: { quality: number; fingerPresent: boolean } | null;
      advice: { vi: string; en: string } | null;
    };
    const jpeg = Buffer.from(frame.image.jpeg, 'base64');
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(Math.max(frame.image.width, frame.image.height)).toBeLessThanOrEqual(240);
    expect(frame.ppi).toBe(125);
    expect(frame.quality).not.toBeNull();
    expect(frame.quality?.quality).toBeGreaterThanOrEqual(0);
    expect(frame.advice?.vi.length).toBeGreaterThan(5);
    await client.until((events) =>
      events.some((e) => e.event === 'capture' && (e.data as { type: string }).type === 'ended'),
    );
    client.close();
  }, 60_000);

  it('sends camera frames as small JPEGs, paced, and lets go of the camera when the client leaves', async () => {
    const client = await SseClient.open(base, '/streams/camera/camera/preview?fps=4', { cookie });
    expect(client.status).toBe(200);
    const a = (await client.next('frame', 30_000)).data as {
      sequence: number;
      image: { jpeg: string; width: number };
    };
    const b = (await client.next('frame', 30_000)).data as {
      sequence: number;
      image: { jpeg: string; width: number };
    };
    expect(b.sequence).toBeGreaterThan(a.sequence);
    expect(a.image.width).toBeLessThanOrEqual(320);
    expect([...Buffer.from(a.image.jpeg, 'base64').subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const open = async () =>
      (
        (await (await fetch(`${base}/streams`, { headers: { cookie } })).json()) as {
          streams: { path: string }[];
        }
      ).streams;
    expect((await open()).map((s) => s.path)).toContain('/streams/camera/camera/preview?fps=4');
    client.close();
    for (let i = 0; i < 100 && (await open()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await open()).toEqual([]);
  }, 60_000);

  it('refuses what is not a scanner or not a camera with a stable code in both languages', async () => {
    const wrong = await fetch(`${base}/streams/scanner/camera/preview`, { headers: { cookie } });
    expect(wrong.status).toBe(400);
    const { error } = (await wrong.json()) as {
      error: { code: string; messages: { vi: string; en: string } };
    };
    expect(error.code).toBe('NOT_A_SCANNER');
    expect(error.messages.vi).toMatch(/máy quét/);
    const missing = await fetch(`${base}/streams/camera/nothing/preview`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('DEVICE_NOT_FOUND');
  });
});
