/**
 * Which image format some bytes are, from their signature alone (pure, no decoding). Chip portraits (ICAO
 * 9303 DG2, ISO/IEC 19794-5) are JPEG or JPEG 2000; JPEG 2000 comes either as a JP2 file (boxes) or as a
 * bare codestream.
 *
 * | format            | signature                                   | where                          |
 * |-------------------|---------------------------------------------|--------------------------------|
 * | JPEG              | FF D8 FF                                    | ISO/IEC 10918-1 SOI + a marker |
 * | PNG               | 89 50 4E 47 0D 0A 1A 0A                     | ISO/IEC 15948 5.2              |
 * | WebP              | "RIFF" ???? "WEBP"                          | RFC 9649 2.5                   |
 * | JP2               | 00 00 00 0C 6A 50 20 20 0D 0A 87 0A         | ISO/IEC 15444-1 I.5.1          |
 * | J2K codestream    | FF 4F FF 51 (SOC then SIZ)                  | ISO/IEC 15444-1 A.4.1, A.5.1   |
 */
export type ImageKind = 'jpeg' | 'png' | 'webp' | 'jp2' | 'j2k';

const SIGNATURES: readonly {
  readonly kind: ImageKind;
  readonly at: number;
  readonly bytes: readonly number[];
}[] = [
  { kind: 'jpeg', at: 0, bytes: [0xff, 0xd8, 0xff] },
  { kind: 'png', at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { kind: 'jp2', at: 0, bytes: [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a] },
  { kind: 'j2k', at: 0, bytes: [0xff, 0x4f, 0xff, 0x51] },
];

/** The format `bytes` start with, or undefined when none of the above. */
export function sniffImageKind(bytes: Uint8Array): ImageKind | undefined {
  for (const { kind, at, bytes: signature } of SIGNATURES)
    if (bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b)) return kind;
  const ascii = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}
