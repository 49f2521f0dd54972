/**
 * Builds our transactions (PROFILE.md): Type-1, Type-2 demographics, Type-9 minutiae (type9.ts),
 * Type-10 portrait, Type-14 fingers and slaps, Type-17 iris. Fields go in field-number order, image data (.999) last; the
 * writer computes every LEN. Field numbers and formats: ANSI/NIST-ITL 1-2011 (Update 2015) §8.1
 * (Type-1), §8.2 (Type-2), §8.10 (Type-10), §8.14 (Type-14), §8.17 (Type-17); README.md tables.
 */
import { SCORE_IDENTITY } from '../quality/score.ts';
import { isAscii } from './charset.ts';
import type { TaggedField, TaggedRecord, Transaction } from './model.ts';
import { checkType2Value, type Demographics, VN_DOMAIN, VN_TYPE2_FIELDS } from './profile.ts';
import { type Type9Minutiae, type9Record } from './type9.ts';
import { AnsiNistWriteError, writeTransaction } from './writer.ts';

export interface Type1Spec {
  /** 1.002 VER; default 0502 (ANSI/NIST-ITL 1-2011 Update 2015). */
  readonly version?: string;
  /** 1.004 TOT (PROFILE.md: CCE, CCR, CCL, CCC). */
  readonly tot: string;
  /** 1.005 DAT, YYYYMMDD. */
  readonly date: string;
  /** 1.006 PRY, 1 (highest) to 9; omitted when undefined. */
  readonly priority?: number;
  /** 1.007 DAI destination agency, 1.008 ORI originating agency, 1.009 TCN control number. */
  readonly dai: string;
  readonly ori: string;
  readonly tcn: string;
  /** 1.010 TCR: the TCN this transaction answers, if any. */
  readonly tcr?: string;
  /** 1.011 NSR and 1.012 NTR, `00.00` when no Type-4 images are sent. */
  readonly nsr: string;
  readonly ntr: string;
  /** 1.013 DOM; our profile by default, `null` to leave the field out. */
  readonly domain?: { readonly name: string; readonly version: string } | null;
  /** 1.014 GMT, YYYYMMDDHHMMSSZ. */
  readonly gmt?: string;
}

export interface Type2Spec {
  readonly type: 2;
  readonly idc: number;
  /** Our profile's fields (2.003-2.017); absent for an IDC-only Type-2. */
  readonly demographics?: Demographics;
}

export interface Type10Spec {
  readonly type: 10;
  readonly idc: number;
  /** 10.003 IMT: FACE for the portrait. */
  readonly imt: string;
  /** 10.004 SRC, 10.005 PHD (YYYYMMDD). */
  readonly src: string;
  readonly phd: string;
  /** 10.006 HLL, 10.007 VLL (pixels); 10.008 SLC (0 aspect, 1 ppi, 2 ppcm); 10.009 THPS, 10.010 TVPS. */
  readonly hll: number;
  readonly vll: number;
  readonly slc: number;
  readonly thps: number;
  readonly tvps: number;
  /** 10.011 CGA, e.g. JPEGB; 10.012 CSP colour space, e.g. YCC or SRGB; 10.013 SAP acquisition profile. */
  readonly cga: string;
  readonly csp: string;
  readonly sap: number;
  /** 10.020 POS subject pose: F frontal, R right, L left, A angled, D determined 3-D. */
  readonly pos?: 'F' | 'R' | 'L' | 'A' | 'D';
  /** 10.021 POA pose offset angle, degrees -180..180 (with POS A). */
  readonly poa?: number;
  readonly data: Uint8Array;
}

/** One finger's box inside a slap (14.021 SEG), pixels of the slap image. */
export interface Segment {
  readonly fgp: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export interface Type14Spec {
  readonly type: 14;
  readonly idc: number;
  /** 14.003 IMP impression type (0 live-scan plain, 1 live-scan rolled, ...). */
  readonly imp: number;
  readonly src: string;
  /** 14.005 FCD capture date, YYYYMMDD. */
  readonly fcd: string;
  readonly hll: number;
  readonly vll: number;
  readonly slc: number;
  readonly thps: number;
  readonly tvps: number;
  /** 14.011 CGA: WSQ20 for our 500 ppi prints. */
  readonly cga: string;
  /** 14.012 BPX bits per pixel. */
  readonly bpx: number;
  /** 14.013 FGP finger position (1-10 fingers, 13/14 right/left four-finger slap, 15 two thumbs). */
  readonly fgp: number;
  /** 14.018 AMP: XX amputated, UP unable to print (bandaged), per finger position. */
  readonly amputations?: readonly { readonly fgp: number; readonly code: 'XX' | 'UP' }[];
  /** 14.021 SEG: each finger's box in a slap. */
  readonly segments?: readonly Segment[];
  /** 14.024 FQM: our quality score 0-100 per finger position; vendor and product from SCORE_IDENTITY. */
  readonly quality?: readonly { readonly fgp: number; readonly score: number }[];
  readonly data: Uint8Array;
}

export interface Type17Spec {
  readonly type: 17;
  readonly idc: number;
  /** 17.003 ELR eye label: 0 undefined, 1 right, 2 left. */
  readonly elr: 0 | 1 | 2;
  readonly src: string;
  /** 17.005 ICD capture date, YYYYMMDD. */
  readonly icd: string;
  readonly hll: number;
  readonly vll: number;
  readonly slc: number;
  readonly thps: number;
  readonly tvps: number;
  readonly cga: string;
  readonly bpx: number;
  /** 17.013 CSP colour space, e.g. GRAY. */
  readonly csp: string;
  readonly data: Uint8Array;
}

/** A Type-9 minutiae record (type9.ts): legacy NIST fields, the INCITS 378 block, or both. */
export type Type9Spec = { readonly type: 9 } & Type9Minutiae;

export type RecordSpec = Type2Spec | Type9Spec | Type10Spec | Type14Spec | Type17Spec;

export interface TransactionSpec {
  readonly type1: Type1Spec;
  readonly records: readonly RecordSpec[];
}

type Value = string | number | readonly (readonly (string | number)[])[];

const DATE = /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

function text(type: number, number: number, value: Value): TaggedField {
  const tag = `${type}.${String(number).padStart(3, '0')}`;
  const subfields =
    typeof value === 'string' || typeof value === 'number'
      ? [[String(value)]]
      : value.map((items) => items.map(String));
  return { kind: 'text', tag, number, subfields };
}

function binary(type: number, data: Uint8Array): TaggedField {
  return { kind: 'binary', tag: `${type}.999`, number: 999, data };
}

function where(type: number, number: number): string {
  return `${type}.${String(number).padStart(3, '0')}`;
}

function requireInteger(value: number, min: number, max: number, at: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new AnsiNistWriteError(at, `${value} is not an integer in ${min}..${max}`);
  return value;
}

function requireDate(value: string, at: string): string {
  if (!DATE.test(value)) throw new AnsiNistWriteError(at, `'${value}' is not a date YYYYMMDD`);
  return value;
}

/** IDC as CNT and .002 write it: two digits (§7.3.1, 00-99). */
function idc(value: number, type: number): string {
  return String(requireInteger(value, 0, 99, where(type, 2))).padStart(2, '0');
}

/** LEN placeholder: the writer computes it. */
const LEN = (type: number) => text(type, 1, '0');

function type2Record(spec: Type2Spec): TaggedRecord {
  const fields: TaggedField[] = [LEN(2), text(2, 2, idc(spec.idc, 2))];
  const demographics = spec.demographics;
  if (demographics !== undefined)
    for (const field of VN_TYPE2_FIELDS) {
      const raw = demographics[field.key];
      if (raw === undefined) {
        if (field.required)
          throw new AnsiNistWriteError(where(2, field.number), `${field.mnemonic} is required`);
        continue;
      }
      const value = raw.normalize('NFC');
      const problem = checkType2Value(field, value);
      if (problem !== undefined) throw new AnsiNistWriteError(where(2, field.number), problem);
      fields.push(text(2, field.number, value));
    }
  return { encoding: 'tagged', type: 2, fields };
}

function imageCommon(
  type: number,
  spec: { src: string; hll: number; vll: number; slc: number; thps: number; tvps: number },
  date: string,
): TaggedField[] {
  return [
    text(type, 4, spec.src),
    text(type, 5, requireDate(date, where(type, 5))),
    text(type, 6, requireInteger(spec.hll, 10, 99_999, where(type, 6))),
    text(type, 7, requireInteger(spec.vll, 10, 99_999, where(type, 7))),
    text(type, 8, requireInteger(spec.slc, 0, 2, where(type, 8))),
    text(type, 9, requireInteger(spec.thps, 1, 99_999, where(type, 9))),
    text(type, 10, requireInteger(spec.tvps, 1, 99_999, where(type, 10))),
  ];
}

function type10Record(spec: Type10Spec): TaggedRecord {
  const fields: TaggedField[] = [
    LEN(10),
    text(10, 2, idc(spec.idc, 10)),
    text(10, 3, spec.imt),
    ...imageCommon(10, spec, spec.phd),
    text(10, 11, spec.cga),
    text(10, 12, spec.csp),
    text(10, 13, requireInteger(spec.sap, 0, 999, where(10, 13))),
  ];
  if (spec.pos !== undefined) fields.push(text(10, 20, spec.pos));
  if (spec.poa !== undefined) fields.push(text(10, 21, requireInteger(spec.poa, -180, 180, where(10, 21))));
  fields.push(binary(10, spec.data));
  return { encoding: 'tagged', type: 10, fields };
}

function type14Record(spec: Type14Spec): TaggedRecord {
  const fgp = (value: number, at: string) => requireInteger(value, 0, 50, at);
  const fields: TaggedField[] = [
    LEN(14),
    text(14, 2, idc(spec.idc, 14)),
    text(14, 3, requireInteger(spec.imp, 0, 99, where(14, 3))),
    ...imageCommon(14, spec, spec.fcd),
    text(14, 11, spec.cga),
    text(14, 12, requireInteger(spec.bpx, 1, 99, where(14, 12))),
    text(14, 13, fgp(spec.fgp, where(14, 13))),
  ];
  if (spec.amputations?.length)
    fields.push(
      text(
        14,
        18,
        spec.amputations.map((a) => [fgp(a.fgp, where(14, 18)), a.code]),
      ),
    );
  if (spec.segments?.length)
    fields.push(
      text(
        14,
        21,
        spec.segments.map((s) => {
          const at = where(14, 21);
          const [left, right] = [s.left, s.right].map((v) => requireInteger(v, 0, spec.hll - 1, at));
          const [top, bottom] = [s.top, s.bottom].map((v) => requireInteger(v, 0, spec.vll - 1, at));
          if ((left ?? 0) > (right ?? 0) || (top ?? 0) > (bottom ?? 0))
            throw new AnsiNistWriteError(at, `segment of finger ${s.fgp} has left > right or top > bottom`);
          return [fgp(s.fgp, at), left ?? 0, right ?? 0, top ?? 0, bottom ?? 0];
        }),
      ),
    );
  if (spec.quality?.length) {
    const vendor = SCORE_IDENTITY.vendorId.toString(16).toUpperCase().padStart(4, '0');
    fields.push(
      text(
        14,
        24,
        spec.quality.map((q) => [
          fgp(q.fgp, where(14, 24)),
          requireInteger(q.score, 0, 100, where(14, 24)),
          vendor,
          SCORE_IDENTITY.productId,
        ]),
      ),
    );
  }
  fields.push(binary(14, spec.data));
  return { encoding: 'tagged', type: 14, fields };
}

function type17Record(spec: Type17Spec): TaggedRecord {
  const fields: TaggedField[] = [
    LEN(17),
    text(17, 2, idc(spec.idc, 17)),
    text(17, 3, requireInteger(spec.elr, 0, 2, where(17, 3))),
    ...imageCommon(17, spec, spec.icd),
    text(17, 11, spec.cga),
    text(17, 12, requireInteger(spec.bpx, 1, 99, where(17, 12))),
    text(17, 13, spec.csp),
    binary(17, spec.data),
  ];
  return { encoding: 'tagged', type: 17, fields };
}

function recordOf(spec: RecordSpec): TaggedRecord {
  switch (spec.type) {
    case 2:
      return type2Record(spec);
    case 9:
      return type9Record(spec);
    case 10:
      return type10Record(spec);
    case 14:
      return type14Record(spec);
    case 17:
      return type17Record(spec);
  }
}

function holdsNonAscii(record: TaggedRecord): boolean {
  return record.fields.some(
    (f) => f.kind === 'text' && f.subfields.some((s) => s.some((item) => !isAscii(item))),
  );
}

/**
 * The model of a transaction of our profile: Type-1 (with CNT from `records`, DOM, and DCS 3 UTF-8
 * only when a record holds non-ASCII text), then the records in order.
 * @throws {AnsiNistWriteError} for a value the profile or the standard refuses (with its field).
 */
export function buildModel(spec: TransactionSpec): Transaction {
  const records = spec.records.map(recordOf);
  const t = spec.type1;
  const fields: TaggedField[] = [
    LEN(1),
    text(1, 2, t.version ?? '0502'),
    text(1, 3, [[1, records.length], ...spec.records.map((r) => [r.type, idc(r.idc, r.type)])]),
    text(1, 4, t.tot),
    text(1, 5, requireDate(t.date, '1.005')),
  ];
  if (t.priority !== undefined) fields.push(text(1, 6, requireInteger(t.priority, 1, 9, '1.006')));
  fields.push(text(1, 7, t.dai), text(1, 8, t.ori), text(1, 9, t.tcn));
  if (t.tcr !== undefined) fields.push(text(1, 10, t.tcr));
  fields.push(text(1, 11, t.nsr), text(1, 12, t.ntr));
  const domain = t.domain === undefined ? VN_DOMAIN : t.domain;
  if (domain !== null) fields.push(text(1, 13, [[domain.name, domain.version]]));
  if (t.gmt !== undefined) fields.push(text(1, 14, t.gmt));
  if (records.some(holdsNonAscii)) fields.push(text(1, 15, [['3', 'UTF-8']]));
  return { records: [{ encoding: 'tagged', type: 1, fields }, ...records] };
}

/**
 * The bytes of a transaction of our profile.
 * @throws {AnsiNistWriteError} as buildModel and writeTransaction do.
 */
export function buildTransaction(spec: TransactionSpec): Uint8Array {
  return writeTransaction(buildModel(spec));
}
