/**
 * Real multi-impression prints for the matcher's benches: the small "B" sets of the Fingerprint
 * Verification Competitions FVC2002 and FVC2004 (10 fingers x 8 impressions each, given out for
 * parameter tuning), and the FVC protocol's pair lists.
 *
 * The images are never in the repository. A developer puts each set in its own folder under one
 * directory (FVC_DIR), as the original files: `101_1.tif` is finger 101, impression 1. The folder name
 * says which set it is (e.g. `FVC2004_DB1_B`), and from that we know its resolution. FVC2000 DB1_B and
 * DB3_B are kept out of tuning for the independent check: load them only for that.
 *
 * Resolutions, from the FVC2002 and FVC2004 papers (Maio et al., ICPR 2002 and ICBA 2004) and the
 * competitions' database pages:
 *
 *   set    FVC2000                    FVC2002                       FVC2004
 *   DB1    300x300  500 ppi optical   388x374 500 ppi optical       640x480 500 ppi optical
 *   DB2    256x364  500 ppi capac.    296x560 569 ppi optical       328x364 500 ppi optical
 *   DB3    448x478  500 ppi optical   300x300 500 ppi capacitive    300x480 512 ppi thermal sweep
 *   DB4    240x320 ~500 ppi SFinGe    288x384 ~500 ppi SFinGe 2.51  288x384 ~500 ppi SFinGe 3.0
 *
 * The FVC protocol (FVC2002 paper, section 4): genuine attempts compare every impression of a finger
 * with every later impression of the same finger (8 x 7 / 2 = 28 a finger, 280 a set); impostor
 * attempts compare the first impression of each finger with the first impression of every later finger
 * (10 x 9 / 2 = 45 a set). Symmetric comparisons are not made. 45 impostor scores only place FMR to the
 * nearest 2 %, so `fvcAllImpostorPairs` also offers every impression against every impression of every
 * later finger (2,880 a set) for a steadier FMR at 1 %.
 *
 * Decoding: TIFF through sharp (libvips); BMP (FVC2006 ships BMP) through the small reader below, since
 * libvips has no BMP loader of its own.
 */

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export interface FvcImpression {
  /** The finger number from the file name (101..110 in a B set). */
  readonly finger: number;
  /** The impression number, 1..8. */
  readonly impression: number;
  /** 8-bit grey, row-major, 0 = black ridges. */
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Resolution of `pixels`, pixels per inch (after resampling, when asked). */
  readonly ppi: number;
}

export interface FvcSet {
  /** The folder name, e.g. `FVC2004_DB1_B`. */
  readonly name: string;
  /** Sorted by finger, then impression. */
  readonly impressions: FvcImpression[];
}

/** Two impressions to compare; the first is the probe. */
export type FvcPair = readonly [FvcImpression, FvcImpression];

export type FvcErrorCode =
  /** The directory holds no set folder with prints. */
  | 'FVC_NO_SETS'
  /** A folder name names no FVC database we know the resolution of, and no `ppi` was given. */
  | 'FVC_UNKNOWN_SET'
  /** A print file could not be decoded into 8-bit grey. */
  | 'FVC_DECODE_FAILED'
  /** Two files give the same finger and impression. */
  | 'FVC_DUPLICATE';

export class FvcError extends Error {
  override readonly name = 'FvcError';
  readonly code: FvcErrorCode;
  /** The file or folder concerned. */
  readonly file: string;
  constructor(code: FvcErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.file = file;
  }
}

/** Resolution of each FVC database, pixels per inch, keyed `FVC<year>_DB<n>` (table above). */
export const FVC_PPI: Readonly<Record<string, number>> = {
  FVC2000_DB1: 500,
  FVC2000_DB2: 500,
  FVC2000_DB3: 500,
  FVC2000_DB4: 500,
  FVC2002_DB1: 500,
  FVC2002_DB2: 569,
  FVC2002_DB3: 500,
  FVC2002_DB4: 500,
  FVC2004_DB1: 500,
  FVC2004_DB2: 500,
  FVC2004_DB3: 512,
  FVC2004_DB4: 500,
};

/**
 * The FVC database a folder name names (`FVC2004_DB1_B`, `fvc2002-db2b`, `FVC2002/Db2_b` ...) as the
 * `FVC_PPI` key, or undefined.
 */
export function fvcDatabase(name: string): string | undefined {
  const match = /fvc[ _-]?(2000|2002|2004)\W*_?db[ _-]?([1-4])/i.exec(name);
  return match ? `FVC${match[1]}_DB${match[2]}` : undefined;
}

const PRINT_FILE = /^(\d{1,4})_(\d{1,2})\.(tiff?|bmp)$/i;

/** Finger and impression from an FVC file name (`101_3.tif`), or undefined for any other file. */
export function parseFvcFileName(file: string): { finger: number; impression: number } | undefined {
  const match = PRINT_FILE.exec(file);
  if (!match) return undefined;
  return { finger: Number(match[1]), impression: Number(match[2]) };
}

// ---------------------------------------------------------------------------------------------
// BMP: the Windows bitmap, enough of it for FVC2006 (8-bit palette, uncompressed) and plain 24-bit.
//
//   offset  size  field (little-endian)
//   0       2     "BM"
//   10      4     offset of the pixel array
//   14      4     info header size (40 = BITMAPINFOHEADER; 108, 124 later versions, same first fields)
//   18      4     width, px (signed)
//   22      4     height, px (signed; negative = rows top-down)
//   26      2     planes, 1
//   28      2     bits per pixel: 8 or 24 here
//   30      4     compression: 0 (BI_RGB) only here
//   46      4     colours used (0 = 2^bits)
//   14+hdr  4*n   palette, B G R 0 each
//   rows are padded to 4 bytes; bottom-up unless the height is negative
// ---------------------------------------------------------------------------------------------

/** Largest side we decode, px: an FVC print is under 700. */
export const MAX_PRINT_SIDE = 4000;

export type BmpDecodeResult =
  | { readonly ok: true; readonly value: { width: number; height: number; pixels: Uint8Array } }
  | { readonly ok: false; readonly error: string };

/**
 * An 8-bit grey raster from an uncompressed 8-bit (palette) or 24-bit BMP. Colour becomes grey by
 * the ITU-R BT.601 luma weights. Pure; every length is checked, and a bad file gives a reason,
 * never a throw.
 */
export function decodeBmpGrey(bytes: Uint8Array): BmpDecodeResult {
  const bad = (error: string): BmpDecodeResult => ({ ok: false, error });
  if (bytes.length < 54) return bad('shorter than a BMP header');
  if (bytes[0] !== 0x42 || bytes[1] !== 0x4d) return bad('not a BMP file (no "BM")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bits = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (headerSize < 40 || 14 + headerSize > bytes.length) return bad(`info header of ${headerSize} bytes`);
  if (compression !== 0) return bad(`compression ${compression} is not supported (only uncompressed)`);
  if (bits !== 8 && bits !== 24) return bad(`${bits} bits per pixel is not supported (only 8 or 24)`);
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1 || width > MAX_PRINT_SIDE || height > MAX_PRINT_SIDE)
    return bad(`size ${width}x${rawHeight} is out of range`);
  const stride = Math.ceil((width * bits) / 32) * 4;
  if (dataOffset > bytes.length || stride * height > bytes.length - dataOffset)
    return bad(`pixel array of ${stride * height} bytes at ${dataOffset} runs past the end`);
  const luma = (r: number, g: number, b: number) => Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  let palette: Uint8Array | undefined;
  if (bits === 8) {
    const used = view.getUint32(46, true);
    const colours = used === 0 ? 256 : used;
    const start = 14 + headerSize;
    if (colours > 256 || start + colours * 4 > dataOffset) return bad(`palette of ${colours} colours`);
    palette = new Uint8Array(256);
    for (let i = 0; i < colours; i++) {
      const at = start + i * 4;
      palette[i] = luma(bytes[at + 2] as number, bytes[at + 1] as number, bytes[at] as number);
    }
  }
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      if (palette !== undefined) {
        pixels[y * width + x] = palette[bytes[row + x] as number] as number;
      } else {
        const at = row + x * 3;
        pixels[y * width + x] = luma(bytes[at + 2] as number, bytes[at + 1] as number, bytes[at] as number);
      }
    }
  }
  return { ok: true, value: { width, height, pixels } };
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

export interface FvcLoadOptions {
  /**
   * Resample every print to this resolution, ppi (sharp's Lanczos-3), so that pixel distances mean the
   * same millimetres in every set. Default: keep each set's own resolution.
   */
  readonly resampleToPpi?: number;
  /** Resolution to assume for a folder whose name names no FVC database; without it, such a folder is an error. */
  readonly ppi?: number;
  /** Load only the folders with these names. */
  readonly only?: readonly string[];
}

async function decodeGrey(file: string): Promise<{ width: number; height: number; pixels: Uint8Array }> {
  const bytes = await readFile(file);
  if (/\.bmp$/i.test(file)) {
    const result = decodeBmpGrey(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (!result.ok) throw new FvcError('FVC_DECODE_FAILED', file, `${file}: ${result.error}`);
    return result.value;
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PRINT_SIDE * MAX_PRINT_SIDE })
      .toColourspace('b-w')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`${info.channels} channels after conversion to grey`);
    return { width: info.width, height: info.height, pixels: new Uint8Array(data) };
  } catch (cause) {
    if (cause instanceof FvcError) throw cause;
    throw new FvcError('FVC_DECODE_FAILED', file, `${file}: not a readable 8-bit TIFF (${String(cause)})`, {
      cause,
    });
  }
}

async function resample(
  image: { width: number; height: number; pixels: Uint8Array },
  scale: number,
): Promise<{ width: number; height: number; pixels: Uint8Array }> {
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const { data, info } = await sharp(image.pixels, {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: new Uint8Array(data) };
}

/**
 * Every set under `dir`: each subfolder holding files named `<finger>_<impression>.tif|.tiff|.bmp` is
 * one set (other files are ignored, and so are folders without prints). Sets come sorted by name.
 *
 * @throws {FvcError} FVC_NO_SETS, FVC_UNKNOWN_SET (folder name unknown and no `ppi` option),
 *   FVC_DECODE_FAILED, FVC_DUPLICATE; Node's own error when `dir` cannot be read
 * @throws {RangeError} on a resampleToPpi or ppi that is not a positive number
 */
export async function loadFvcSets(dir: string, options: FvcLoadOptions = {}): Promise<FvcSet[]> {
  for (const key of ['resampleToPpi', 'ppi'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new RangeError(`${key} ${value} is not a positive number`);
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => options.only === undefined || options.only.includes(name))
    .sort();
  const sets: FvcSet[] = [];
  for (const name of folders) {
    const folder = path.join(dir, name);
    const files = (await readdir(folder))
      .map((file) => ({ file, id: parseFvcFileName(file) }))
      .filter((entry): entry is { file: string; id: { finger: number; impression: number } } => !!entry.id);
    if (files.length === 0) continue;
    const database = fvcDatabase(name);
    const nativePpi = (database === undefined ? undefined : FVC_PPI[database]) ?? options.ppi;
    if (nativePpi === undefined)
      throw new FvcError(
        'FVC_UNKNOWN_SET',
        folder,
        `${folder}: the name names no FVC database (e.g. FVC2004_DB1_B), so its resolution is unknown; pass the ppi option`,
      );
    const targetPpi = options.resampleToPpi ?? nativePpi;
    const scale = targetPpi / nativePpi;
    const seen = new Set<string>();
    const impressions: FvcImpression[] = [];
    for (const { file, id } of files) {
      const key = `${id.finger}_${id.impression}`;
      if (seen.has(key))
        throw new FvcError('FVC_DUPLICATE', path.join(folder, file), `${folder}: two files for ${key}`);
      seen.add(key);
      let image = await decodeGrey(path.join(folder, file));
      if (Math.abs(scale - 1) > 1e-9) image = await resample(image, scale);
      impressions.push({ ...id, ...image, ppi: targetPpi });
    }
    impressions.sort((a, b) => a.finger - b.finger || a.impression - b.impression);
    sets.push({ name, impressions });
  }
  if (sets.length === 0)
    throw new FvcError(
      'FVC_NO_SETS',
      dir,
      `${dir} holds no folder of FVC prints (e.g. FVC2004_DB1_B/101_1.tif)`,
    );
  return sets;
}

// ---------------------------------------------------------------------------------------------
// The FVC protocol's pairs
// ---------------------------------------------------------------------------------------------

/** A stable id for an impression: `<set>/<finger>_<impression>`, e.g. `FVC2004_DB1_B/101_3`. */
export function fvcImpressionId(set: FvcSet | string, impression: FvcImpression): string {
  return `${typeof set === 'string' ? set : set.name}/${impression.finger}_${impression.impression}`;
}

/** The set's impressions grouped by finger, fingers ascending, impressions ascending within. */
function byFinger(set: FvcSet): FvcImpression[][] {
  const groups = new Map<number, FvcImpression[]>();
  for (const impression of set.impressions) {
    const group = groups.get(impression.finger);
    if (group === undefined) groups.set(impression.finger, [impression]);
    else group.push(impression);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((finger) => (groups.get(finger) as FvcImpression[]).sort((a, b) => a.impression - b.impression));
}

/** FVC genuine attempts: each impression against every later impression of the same finger (28 a finger of 8). */
export function fvcGenuinePairs(set: FvcSet): FvcPair[] {
  const pairs: FvcPair[] = [];
  for (const group of byFinger(set))
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++)
        pairs.push([group[i] as FvcImpression, group[j] as FvcImpression]);
  return pairs;
}

/**
 * FVC impostor attempts: the first impression of each finger against the first impression of every
 * later finger (45 in a set of 10 fingers). "First" is the lowest impression number present.
 */
export function fvcImpostorPairs(set: FvcSet): FvcPair[] {
  const firsts = byFinger(set).map((group) => group[0] as FvcImpression);
  const pairs: FvcPair[] = [];
  for (let i = 0; i < firsts.length; i++)
    for (let j = i + 1; j < firsts.length; j++)
      pairs.push([firsts[i] as FvcImpression, firsts[j] as FvcImpression]);
  return pairs;
}

/**
 * Every impression against every impression of every later finger (8 x 8 x 45 = 2,880 in a B set):
 * not the FVC protocol, but 64 times the impostor scores for a steadier FMR.
 */
export function fvcAllImpostorPairs(set: FvcSet): FvcPair[] {
  const groups = byFinger(set);
  const pairs: FvcPair[] = [];
  for (let i = 0; i < groups.length; i++)
    for (let j = i + 1; j < groups.length; j++)
      for (const a of groups[i] as FvcImpression[])
        for (const b of groups[j] as FvcImpression[]) pairs.push([a, b]);
  return pairs;
}
