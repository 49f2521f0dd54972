/** Small byte helpers shared by the protocol codecs (pure; no Buffer). */

/**
 * Bytes from hex text; spaces, colons and line breaks between digits are ignored.
 * @throws {RangeError} for an odd number of digits or a non-hex character.
 */
export function fromHex(text: string): Uint8Array {
  const digits = text.replace(/[\s:]/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-fA-F]/.test(digits))
    throw new RangeError(`not an even-length hex string: '${text.slice(0, 40)}'`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Upper-case hex, no separators, as the standards print it. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

/** Byte-wise equality (not constant-time: use only on public data). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality in time independent of where the first difference is (MACs, tokens). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
