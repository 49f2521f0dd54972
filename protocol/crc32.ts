/**
 * CRC-32 (ISO-HDLC: polynomial 0x04C11DB7 reflected as 0xEDB88320, init and final XOR 0xFFFFFFFF),
 * as used by PNG, zlib and our scanner protocol's RESULT. Check value: crc32("123456789") = 0xCBF43926.
 *
 * Slicing-by-8: eight 256-entry tables let one step fold 8 bytes, so a slap's RESULT (about 1.5 MB)
 * costs a few ms of the event loop instead of tens (issue 21, bench:workflow). Table k holds the CRC
 * of a byte followed by k zero bytes; the bytes left over after the last whole 8 go one at a time.
 */

/** TABLES[k * 256 + n]: the CRC register after byte n followed by k zero bytes. */
const TABLES = (() => {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n] ?? 0;
    for (let k = 1; k < 8; k++) {
      c = (tables[c & 0xff] ?? 0) ^ (c >>> 8);
      tables[k * 256 + n] = c >>> 0;
    }
  }
  return tables;
})();

/** Continues a CRC over `bytes`; start with `crc32Update(0, ...)` or use crc32(). */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  const t = TABLES;
  let c = (crc ^ 0xffffffff) >>> 0;
  let i = 0;
  const whole = bytes.length - (bytes.length % 8);
  for (; i < whole; i += 8) {
    const lo =
      c ^
      ((bytes[i] ?? 0) |
        ((bytes[i + 1] ?? 0) << 8) |
        ((bytes[i + 2] ?? 0) << 16) |
        ((bytes[i + 3] ?? 0) << 24));
    c =
      (t[7 * 256 + (lo & 0xff)] ?? 0) ^
      (t[6 * 256 + ((lo >>> 8) & 0xff)] ?? 0) ^
      (t[5 * 256 + ((lo >>> 16) & 0xff)] ?? 0) ^
      (t[4 * 256 + (lo >>> 24)] ?? 0) ^
      (t[3 * 256 + (bytes[i + 4] ?? 0)] ?? 0) ^
      (t[2 * 256 + (bytes[i + 5] ?? 0)] ?? 0) ^
      (t[256 + (bytes[i + 6] ?? 0)] ?? 0) ^
      (t[bytes[i + 7] ?? 0] ?? 0);
  }
  for (; i < bytes.length; i++) c = (t[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `bytes`, as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}
