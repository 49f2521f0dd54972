/**
 * NIST `.xyt` minutiae text, as NBIS's mindtct writes it and bozorth3 reads it: one minutia a line,
 * `x y theta` and an optional `quality`, integers separated by spaces (mindtct: "%d %d %d %d\n").
 *
 * Two representations, from NBIS 5.0's mindtct (xytreps.c, lfs2nist_minutia_XYT and
 * lfs2m1_minutia_XYT) and bozorth3 (bz_io.c, bozorth3.c):
 *
 * | | `nist` (mindtct's default) | `m1` (mindtct -m1) |
 * |---|---|---|
 * | origin | bottom-left: y = image height - row (`ih - y`, so row 0 is written as y = height) | top-left: y = row |
 * | theta unit | degrees, 0..359 | units of 2 degrees, 0..179, truncated (`t / 2` in C) |
 * | theta sense | counter-clockwise from +x | counter-clockwise from +x |
 * | direction | away from the ridge ending or the bifurcation's valley: ISO/INCITS + 180 degrees | ISO/INCITS (INCITS 378's "M1") |
 * | quality | 0..100, round(reliability * 100) | the same |
 *
 * bozorth3 reads three or four columns (the same count on every line; three-column files get
 * quality 1), folds theta above 180 into (-180, 180], and with -m1 only negates dy when it measures
 * the angle between two minutiae: it does not double theta, so an -m1 file's 2-degree units enter
 * its angle tables as degrees. Comparing mindtct output with bozorth3, use the default for both.
 *
 * Quality 0 reads as "not reported" (the neutral model's undefined) and writes back as 0.
 */
import { type DecodeResult, fail, ok } from '../../result.ts';
import {
  normalizeDegrees,
  requireRange,
  roundHalfUp,
  type TemplateMinutia,
  TemplateWriteError,
} from './model.ts';

export type XytVariant = 'nist' | 'm1';

/** bozorth3's MAX_FILE_MINUTIAE: it reads no more lines than this. */
export const MAX_XYT_MINUTIAE = 1000;
/** Largest `.xyt` read, bytes (1,000 lines of four 5-digit numbers need under 25 kB). */
export const MAX_XYT_BYTES = 256 * 1024;

export interface XytOptions {
  readonly variant: XytVariant;
  /** The image's size, px: the `nist` origin is at its bottom, and every minutia must lie inside. */
  readonly width: number;
  readonly height: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Reads `.xyt` text into minutiae of the neutral model (model.ts), in file order. The format has
 * no type column, so every minutia reads as kind `other`.
 * @returns the minutiae, or an error with the byte offset of the offending token: `invalid-value`
 *   (not an integer, a value out of range, a line of another column count, a blank line, a byte
 *   that is not ASCII text), `too-large` (over MAX_XYT_BYTES or MAX_XYT_MINUTIAE lines). Never
 *   throws.
 */
export function readXyt(bytes: Uint8Array, options: XytOptions): DecodeResult<TemplateMinutia[]> {
  const { variant, width, height } = options;
  if (bytes.length > MAX_XYT_BYTES)
    return fail('too-large', 0, `${bytes.length} bytes exceed the ${MAX_XYT_BYTES}-byte limit for .xyt`);
  const minutiae: TemplateMinutia[] = [];
  let columns = 0;
  let at = 0;
  let line = 0;
  while (at < bytes.length) {
    line++;
    if (minutiae.length === MAX_XYT_MINUTIAE)
      return fail('too-large', at, `more than ${MAX_XYT_MINUTIAE} minutiae (bozorth3 reads no more)`);
    let end = at;
    while (end < bytes.length && bytes[end] !== LF) end++;
    const lineEnd = end > at && bytes[end - 1] === CR ? end - 1 : end;
    // Tokens: runs of digits (and a leading minus) between spaces or tabs.
    const values: number[] = [];
    const starts: number[] = [];
    let p = at;
    while (p < lineEnd) {
      const b = bytes[p] ?? 0;
      if (b === SPACE || b === TAB) {
        p++;
        continue;
      }
      const from = p;
      if (b === 0x2d) p++;
      while (p < lineEnd && (bytes[p] ?? 0) >= 0x30 && (bytes[p] ?? 0) <= 0x39) p++;
      const next = bytes[p];
      if (p === from || (b === 0x2d && p === from + 1) || (p < lineEnd && next !== SPACE && next !== TAB))
        return fail('invalid-value', from, `line ${line}: expected an integer`);
      if (p - from > 7) return fail('invalid-value', from, `line ${line}: a number of more than 6 digits`);
      let value = 0;
      for (let i = b === 0x2d ? from + 1 : from; i < p; i++) value = value * 10 + ((bytes[i] ?? 0) - 0x30);
      values.push(b === 0x2d ? -value : value);
      starts.push(from);
    }
    if (values.length === 0) return fail('invalid-value', at, `line ${line} is blank`);
    if (values.length !== 3 && values.length !== 4)
      return fail(
        'invalid-value',
        at,
        `line ${line} has ${values.length} numbers; x y theta [quality] expected`,
      );
    if (columns === 0) columns = values.length;
    else if (values.length !== columns)
      return fail(
        'invalid-value',
        at,
        `line ${line} has ${values.length} numbers where line 1 has ${columns}`,
      );

    const [x = 0, fileY = 0, theta = 0, quality] = values;
    const [xAt = at, yAt = at, thetaAt = at, qualityAt = at] = starts;
    if (x < 0 || x >= width)
      return fail('invalid-value', xAt, `line ${line}: x ${x} is outside 0..${width - 1}`);
    const y = variant === 'nist' ? height - fileY : fileY;
    if (y < 0 || y >= height)
      return fail(
        'invalid-value',
        yAt,
        `line ${line}: y ${fileY} is outside the image (${variant === 'nist' ? `1..${height}, origin bottom-left` : `0..${height - 1}`})`,
      );
    const maxTheta = variant === 'nist' ? 359 : 179;
    if (theta < 0 || theta > maxTheta)
      return fail('invalid-value', thetaAt, `line ${line}: theta ${theta} is outside 0..${maxTheta}`);
    if (quality !== undefined && (quality < 0 || quality > 100))
      return fail('invalid-value', qualityAt, `line ${line}: quality ${quality} is outside 0..100`);
    minutiae.push({
      x,
      y,
      angle: variant === 'nist' ? normalizeDegrees(theta + 180) : theta * 2,
      kind: 'other',
      ...(quality === undefined || quality === 0 ? {} : { quality }),
    });
    at = end + 1;
  }
  return ok(minutiae);
}

/**
 * Writes minutiae as `.xyt` text, one "x y theta quality" line each with a final newline, as
 * mindtct does; three columns when no minutia has a quality. Positions round half up to whole
 * pixels; `nist` theta rounds half up to whole degrees, `m1` theta as mindtct -m1 (whole degrees,
 * then halved with truncation).
 * @throws {TemplateWriteError} for a minutia outside the image or a quality outside 0..100.
 */
export function writeXyt(minutiae: readonly TemplateMinutia[], options: XytOptions): string {
  const { variant, width, height } = options;
  requireRange(minutiae.length, 0, MAX_XYT_MINUTIAE, 'number of minutiae');
  const withQuality = minutiae.some((m) => m.quality !== undefined);
  let text = '';
  for (const [i, m] of minutiae.entries()) {
    const where = `minutia ${i + 1}`;
    if (!Number.isFinite(m.angle)) throw new TemplateWriteError(`${where} angle`, `${m.angle} is not finite`);
    const x = requireRange(roundHalfUp(m.x), 0, width - 1, `${where} x`);
    const row = requireRange(roundHalfUp(m.y), 0, height - 1, `${where} y`);
    const y = variant === 'nist' ? height - row : row;
    const degrees = roundHalfUp(normalizeDegrees(variant === 'nist' ? m.angle + 180 : m.angle)) % 360;
    const theta = variant === 'nist' ? degrees : Math.floor(degrees / 2);
    text += `${x} ${y} ${theta}`;
    if (withQuality)
      text += ` ${m.quality === undefined ? 0 : requireRange(m.quality, 0, 100, `${where} quality`)}`;
    text += '\n';
  }
  return text;
}
