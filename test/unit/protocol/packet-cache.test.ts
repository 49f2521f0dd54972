/**
 * DerCache (protocol/packet/cache.ts): long-lived certificates are decoded once, but bytes changed
 * in place are decoded again, so a cache hit never answers for other bytes.
 */
import { describe, expect, it } from 'vitest';
import { DerCache } from '../../../protocol/packet/cache.ts';

describe('DerCache', () => {
  it('decodes the same bytes once, again after they change in place, and caches no failure', () => {
    const cache = new DerCache<string>();
    let calls = 0;
    const decode = (der: Uint8Array) => {
      calls += 1;
      if (der[0] === 0xff) throw new RangeError('not DER');
      return [...der].join('.');
    };
    const der = Uint8Array.of(0x30, 0x01, 0x05);
    expect(cache.get(der, decode)).toBe('48.1.5');
    expect(cache.get(der, decode)).toBe('48.1.5');
    expect(calls).toBe(1);
    der[2] = 0x06;
    expect(cache.get(der, decode)).toBe('48.1.6');
    expect(calls).toBe(2);
    // Equal bytes in another array are decoded for that array.
    expect(cache.get(Uint8Array.of(0x30, 0x01, 0x06), decode)).toBe('48.1.6');
    expect(calls).toBe(3);
    const bad = Uint8Array.of(0xff);
    expect(() => cache.get(bad, decode)).toThrow(RangeError);
    expect(() => cache.get(bad, decode)).toThrow(RangeError);
    expect(calls).toBe(5);
  });
});
