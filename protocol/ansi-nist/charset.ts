/**
 * Text encodings of tagged records (ANSI/NIST-ITL 1-2011 §7.2 and 1.015 DCS, Table 4 "Character
 * encoding set values").
 *
 * | CSI | name (CSN) | what we do |
 * |---|---|---|
 * | absent | (default) | 7-bit ASCII; read byte per character (Latin-1) so any byte round-trips |
 * | 000 | ASCII | as absent |
 * | 001 | 8-bit Latin (ANSI/NIST-ITL 1-2007; reserved since 2011) | ISO 8859-1 |
 * | 002 | UTF-16 | unsupported (multi-byte units collide with the separators) |
 * | 003 | UTF-8 | UTF-8, strictly (an invalid sequence is an error) |
 * | 004 | UTF-32 | unsupported |
 * | 128-999 | user-defined | unsupported |
 *
 * Type-1 is always 7-bit ASCII (§8.1). The separators 0x1C-0x1F are single bytes in every
 * supported encoding and never occur inside a UTF-8 multi-byte sequence, so items are split on
 * bytes first and decoded after.
 */

export type Charset = 'ascii' | 'latin1' | 'utf8';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The charset a DCS character set index names, or undefined when we do not implement it. */
export function charsetOfIndex(csi: string): Charset | undefined {
  if (!/^\d{1,3}$/.test(csi)) return undefined;
  switch (Number(csi)) {
    case 0:
      return 'ascii';
    case 1:
      return 'latin1';
    case 3:
      return 'utf8';
    default:
      return undefined;
  }
}

/**
 * Text of `bytes` in `charset`; undefined when the bytes are not valid in it (UTF-8 only; ASCII and
 * Latin-1 map every byte to one character, so any file reads and writes back unchanged).
 */
export function decodeText(bytes: Uint8Array, charset: Charset): string | undefined {
  if (charset === 'utf8') {
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      return undefined;
    }
  }
  let out = '';
  // Chunks keep the argument list of fromCharCode well under engine limits.
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/**
 * Bytes of `text` in `charset`.
 * @throws {RangeError} when a character has no encoding in the charset (above U+00FF for ASCII and
 *   Latin-1; a lone surrogate for UTF-8).
 */
export function encodeText(text: string, charset: Charset): Uint8Array {
  if (charset === 'utf8') {
    if (LONE_SURROGATE.test(text))
      throw new RangeError(`text holds a lone surrogate: '${text.slice(0, 40)}'`);
    return utf8Encoder.encode(text);
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff)
      throw new RangeError(
        `'${text.slice(0, 40)}' holds U+${code.toString(16).toUpperCase().padStart(4, '0')}, which ${charset === 'ascii' ? 'ASCII' : 'Latin-1'} cannot carry; declare UTF-8 in 1.015 DCS`,
      );
    out[i] = code;
  }
  return out;
}

/** True when every character is 7-bit ASCII. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** True when the text holds a separator character (FS, GS, RS, US: U+001C to U+001F). */
export function hasSeparator(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x1c && code <= 0x1f) return true;
  }
  return false;
}
