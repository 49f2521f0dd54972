/**
 * NISTCOM: the attribute comment NBIS writes into the first COM segment of every WSQ file (NBIS
 * nistcom.h). Lines of "NAME VALUE" separated by LF, no terminator; the first line is
 * "NIST_COM n" where n counts the lines including itself. cwsq writes, in this order:
 *
 *   NIST_COM 9 / PIX_WIDTH w / PIX_HEIGHT h / PIX_DEPTH 8 / PPI p (-1 if unknown) / LOSSY 1 /
 *   COLORSPACE GRAY / COMPRESSION WSQ / WSQ_BITRATE r (printf %f)
 *
 * Readers use PPI; the rest is descriptive. Names and values are 7-bit text.
 */

export const NISTCOM_HEADER = 'NIST_COM';

export interface NistcomAttributes {
  readonly width: number;
  readonly height: number;
  /** Scan resolution, pixels per inch; -1 when unknown. */
  readonly ppi: number;
  /** Target bit rate the encoder was given, bits per pixel. */
  readonly bitRate: number;
}

/** The NISTCOM text cwsq would write for these attributes, as bytes. */
export function formatNistcom(a: NistcomAttributes): Uint8Array {
  const lines = [
    ['PIX_WIDTH', String(a.width)],
    ['PIX_HEIGHT', String(a.height)],
    ['PIX_DEPTH', '8'],
    ['PPI', String(a.ppi)],
    ['LOSSY', '1'],
    ['COLORSPACE', 'GRAY'],
    ['COMPRESSION', 'WSQ'],
    ['WSQ_BITRATE', a.bitRate.toFixed(6)],
  ];
  const text = [`${NISTCOM_HEADER} ${lines.length + 1}`, ...lines.map(([k, v]) => `${k} ${v}`)].join('\n');
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * The NAME -> VALUE pairs of a NISTCOM comment, or undefined when the comment is not one. Never
 * throws; malformed lines (no space) are kept with an empty value.
 */
export function parseNistcom(comment: Uint8Array): Record<string, string> | undefined {
  const text = latin1(comment);
  if (!text.startsWith(NISTCOM_HEADER)) return undefined;
  // No prototype: a line named __proto__ is just a field.
  const fields = Object.create(null) as Record<string, string>;
  for (const line of text.split('\n')) {
    const trimmed = line.replace(/\0+$/, '').trim();
    if (trimmed === '') continue;
    const space = trimmed.indexOf(' ');
    const name = space < 0 ? trimmed : trimmed.slice(0, space);
    if (!Object.hasOwn(fields, name)) fields[name] = space < 0 ? '' : trimmed.slice(space + 1).trim();
  }
  return fields;
}

/** Bytes as one character each (comments are 7-bit text; anything else stays visible, not lost). */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096)
    text += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 4096)));
  return text;
}
