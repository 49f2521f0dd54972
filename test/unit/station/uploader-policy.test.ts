/**
 * The uploader's policies as pure functions: capped exponential backoff with full jitter (bounds,
 * growth, cap), the bandwidth token bucket on a fake clock, and the classification of failures and
 * answers into link and central problems with officer-facing messages (Vietnamese first).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCap, backoffDelay, checkBackoff } from '../../../station/uploader/backoff.ts';
import {
  classifyAnswer,
  classifyError,
  type HttpAnswer,
  officerMessage,
  problem,
  type UploadProblemCode,
  UploadProblemError,
} from '../../../station/uploader/problems.ts';
import { TokenBucket } from '../../../station/uploader/throttle.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

describe('backoff with full jitter', () => {
  const settings = { baseMs: 500, maxMs: 60_000, factor: 2 };

  it('waits within [0, min(max, base * factor^(n-1))] for any attempt and any random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(n, settings, () => r);
          const cap = Math.min(settings.maxMs, settings.baseMs * 2 ** (n - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(cap);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it('grows the cap by the factor and holds it at the maximum (no overflow at attempt 10,000)', () => {
    expect([1, 2, 3, 4, 5, 7, 8, 9].map((n) => backoffCap(n, settings))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 32_000, 60_000, 60_000,
    ]);
    expect(backoffCap(10_000, settings)).toBe(60_000);
    expect(backoffDelay(10_000, settings, () => 0.999_999)).toBeLessThanOrEqual(60_000);
  });

  it('is fully jittered: random 0 waits nothing, random just below 1 waits almost the cap', () => {
    expect(backoffDelay(6, settings, () => 0)).toBe(0);
    expect(backoffDelay(6, settings, () => 0.9999)).toBe(Math.floor(0.9999 * 16_000));
    // A random source out of range cannot push the wait past the cap.
    expect(backoffDelay(6, settings, () => 7)).toBe(16_000);
    expect(backoffDelay(6, settings, () => -1)).toBe(0);
  });

  it('spreads a fleet: 1,000 stations retrying attempt 5 do not come back in step', () => {
    let x = 12345;
    const random = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    const waits = Array.from({ length: 1_000 }, () => backoffDelay(5, settings, random));
    const buckets = new Array(8).fill(0) as number[];
    for (const w of waits) {
      const i = Math.min(7, Math.floor(w / 1_000));
      buckets[i] = (buckets[i] ?? 0) + 1;
    }
    // Uniform over [0, 8 s): every 1-second bucket holds roughly an eighth.
    for (const count of buckets) expect(count).toBeGreaterThan(80);
  });

  it('refuses settings that cannot make a wait', () => {
    expect(() => checkBackoff({ baseMs: -1, maxMs: 10, factor: 2 })).toThrow(RangeError);
    expect(() => checkBackoff({ baseMs: 10, maxMs: 5, factor: 2 })).toThrow(RangeError);
    expect(() => checkBackoff({ baseMs: 10, maxMs: 50, factor: 0.5 })).toThrow(RangeError);
    expect(checkBackoff(settings)).toBe(settings);
  });
});

describe('bandwidth token bucket', () => {
  it('lets bytes through at the configured rate on the monotonic clock', async () => {
    let now = 0;
    const slept: number[] = [];
    const bucket = new TokenBucket({
      bytesPerSecond: 100_000,
      monotonic: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    for (let i = 0; i < 60; i++) await bucket.take(16 * 1024);
    // 983,040 bytes at 100,000 bytes/s: about 9.8 s of (virtual) time.
    expect(now).toBeGreaterThanOrEqual(9_830);
    expect(now).toBeLessThan(9_900);
  });

  it('does not save up more than one second of bytes during a pause', async () => {
    let now = 0;
    const bucket = new TokenBucket({
      bytesPerSecond: 10_000,
      monotonic: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    now = 60_000; // a minute idle
    await bucket.take(30_000);
    // One second's worth came at once; the other 20,000 bytes took 2 s.
    expect(now).toBeGreaterThanOrEqual(62_000);
  });

  it('stops waiting when the signal aborts', async () => {
    const bucket = new TokenBucket({ bytesPerSecond: 1 });
    const controller = new AbortController();
    const taking = bucket.take(1_000, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(taking).rejects.toThrow('stopped');
  });

  it('refuses a limit that is not a positive rate', () => {
    expect(() => new TokenBucket({ bytesPerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ bytesPerSecond: Number.NaN })).toThrow(RangeError);
  });
});

function answer(status: number, body: string, headers: Record<string, string> = {}): HttpAnswer {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, header: (name) => lower[name.toLowerCase()], body: new TextEncoder().encode(body) };
}

describe('classification', () => {
  const errors: [string, unknown, UploadProblemCode][] = [
    ['refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'UPLOAD_OFFLINE'],
    ['no DNS', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'UPLOAD_OFFLINE'],
    [
      'no route',
      Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' }),
      'UPLOAD_OFFLINE',
    ],
    ['reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'UPLOAD_CONNECTION_LOST'],
    ['hang up', new Error('socket hang up'), 'UPLOAD_CONNECTION_LOST'],
    ['timeout', Object.assign(new Error('no answer'), { code: 'UPLOAD_TIMEOUT' }), 'UPLOAD_TIMEOUT'],
    [
      'untrusted server',
      Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      'UPLOAD_TLS_FAILED',
    ],
    [
      'wrong host',
      Object.assign(new Error('altname'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      'UPLOAD_TLS_FAILED',
    ],
    [
      'wrapped in cause',
      new Error('tus: failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
      'UPLOAD_OFFLINE',
    ],
  ];
  for (const [label, error, code] of errors) {
    it(`a ${label} error is ${code}, a link problem`, () => {
      const found = classifyError(error);
      expect(found.code).toBe(code);
      expect(found.scope).toBe('link');
    });
  }

  it('passes an UploadProblemError through unchanged', () => {
    const p = problem('CENTRAL_STORAGE_FULL', 'disk full', 507);
    expect(classifyError(new UploadProblemError(p))).toBe(p);
  });

  const answers: [string, HttpAnswer, UploadProblemCode, 'link' | 'central'][] = [
    [
      'a hotel portal page',
      answer(200, '<!DOCTYPE html><html>Log in</html>', { 'content-type': 'text/html' }),
      'UPLOAD_NOT_CENTRAL',
      'link',
    ],
    ['an HTML page without its type', answer(200, '  <html><body>portal'), 'UPLOAD_NOT_CENTRAL', 'link'],
    [
      'a redirect to a portal',
      answer(302, '', { location: 'http://login.hotel/' }),
      'UPLOAD_NOT_CENTRAL',
      'link',
    ],
    [
      'a proxy 502',
      answer(502, 'Bad Gateway', { 'content-type': 'text/plain' }),
      'UPLOAD_PROXY_ERROR',
      'link',
    ],
    ['a proxy 404', answer(404, 'Not Found'), 'UPLOAD_NOT_CENTRAL', 'link'],
    [
      "central's 503 JSON",
      answer(503, JSON.stringify({ code: 'CENTRAL_BUSY', message: 'x' })),
      'CENTRAL_SERVER_ERROR',
      'central',
    ],
    [
      "central's storage full",
      answer(507, JSON.stringify({ code: 'CENTRAL_STORAGE_FULL', message: 'x' })),
      'CENTRAL_STORAGE_FULL',
      'central',
    ],
    [
      "central's 401",
      answer(401, JSON.stringify({ code: 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED', message: {} })),
      'CENTRAL_CLIENT_CERTIFICATE_REQUIRED',
      'central',
    ],
    [
      "central's 403",
      answer(403, JSON.stringify({ code: 'CENTRAL_STATION_NOT_REGISTERED' })),
      'CENTRAL_STATION_NOT_REGISTERED',
      'central',
    ],
    [
      'a digest mismatch as a bare code',
      answer(460, 'CENTRAL_DIGEST_MISMATCH'),
      'CENTRAL_DIGEST_MISMATCH',
      'central',
    ],
    [
      'a tus server 500',
      answer(500, 'oops', { 'tus-resumable': '1.0.0' }),
      'CENTRAL_SERVER_ERROR',
      'central',
    ],
    [
      'a 422 without a statement',
      answer(422, JSON.stringify({ code: 'CENTRAL_REFUSED' })),
      'CENTRAL_UNEXPECTED_ANSWER',
      'central',
    ],
  ];
  for (const [label, a, code, scope] of answers) {
    it(`${label} is ${code} (${scope})`, () => {
      const found = classifyAnswer(a, 'test');
      expect(found.code).toBe(code);
      expect(found.scope).toBe(scope);
      expect(found.status).toBe(a.status);
    });
  }

  it('gives every code a Vietnamese and an English message', () => {
    const codes: UploadProblemCode[] = [
      'UPLOAD_OFFLINE',
      'UPLOAD_CONNECTION_LOST',
      'UPLOAD_TIMEOUT',
      'UPLOAD_TLS_FAILED',
      'UPLOAD_NOT_CENTRAL',
      'UPLOAD_PROXY_ERROR',
      'UPLOAD_RESPONSE_TOO_LARGE',
      'UPLOAD_WRONG_ENVIRONMENT',
      'CENTRAL_CLIENT_CERTIFICATE_REQUIRED',
      'CENTRAL_STATION_NOT_REGISTERED',
      'CENTRAL_STORAGE_FULL',
      'CENTRAL_DIGEST_MISMATCH',
      'CENTRAL_PACKET_TOO_LARGE',
      'CENTRAL_METADATA_INVALID',
      'CENTRAL_SERVER_ERROR',
      'CENTRAL_UNEXPECTED_ANSWER',
      'UPLOAD_NO_STATEMENT',
      'UPLOAD_STATEMENT_REJECTED',
    ];
    for (const code of codes) {
      const m = officerMessage(code);
      expect(m.vi, code).toMatch(/[àáảãạăâđèéêìíòóôơùúưỳý]/i);
      expect(m.en, code).toMatch(/^[\x20-\x7e]+$/);
      expect(m.vi).not.toBe(m.en);
    }
  });
});
