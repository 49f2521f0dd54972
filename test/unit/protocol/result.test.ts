import { describe, expect, it } from 'vitest';
import { fail, ok, unwrap } from '../../../protocol/result.ts';

describe('decode results', () => {
  it('unwraps a success and throws the reason, offset and detail of a failure', () => {
    expect(unwrap(ok(42))).toBe(42);
    expect(() => unwrap(fail('truncated', 17, 'length field says 300, 12 bytes remain'))).toThrow(
      'decode failed: truncated at offset 17: length field says 300, 12 bytes remain',
    );
  });
});
