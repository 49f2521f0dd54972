/**
 * The enrollment packet's manifest (issue 17, Build 2): what the station asserts about one
 * enrollment, as UTF-8 JSON inside the signed content. Field by field in README.md beside this file.
 *
 * Validation is a JSON Schema (draft 2020-12 subset, ajv with `allErrors`, so every failing field
 * is listed with its JSON Pointer path) plus the rules JSON Schema cannot state: the age rules of
 * the Law on Identity 2023 on the capture date, Unicode NFC for every text field, and the image
 * list agreeing with itself. Pure: no clock, no I/O.
 */
import { Ajv, type ErrorObject } from 'ajv';

/** Version of this manifest layout; bumped on any incompatible change. */
export const MANIFEST_VERSION = 1;

export type Environment = 'test' | 'production';
export type EnrollmentType = 'first-issue' | 'renewal' | 'reissue-after-loss' | 'correction';
export type Sex = 'male' | 'female';

/** A relative as the CCCD's DG13 names them: full name, and personal ID when known. */
export interface Relative {
  readonly fullName: string;
  readonly personalId?: string;
}

/** The person who applies for a child aged 6 to 13 (Law on Identity 2023, Art. 23(2)). */
export interface LegalRepresentative {
  readonly personalId: string;
  readonly fullName: string;
  readonly relationship: 'father' | 'mother' | 'guardian';
  /** The representative consented to the capture, and when (ISO 8601 with offset). */
  readonly consent: { readonly given: true; readonly at: string };
}

export interface Applicant {
  /** Số định danh cá nhân: 12 digits. */
  readonly personalId: string;
  readonly fullName: string;
  /** Calendar date YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: Sex;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly placeOfOrigin: string;
  readonly placeOfBirthRegistration: string;
  readonly placeOfResidence: string;
  readonly identifyingMarks: string;
  readonly father?: Relative;
  readonly mother?: Relative;
  readonly spouse?: Relative;
  readonly legalRepresentative?: LegalRepresentative;
}

/** Our quality algorithm's identity (protocol/quality/score.ts SCORE_IDENTITY), never NFIQ 2's. */
export interface QualityAlgorithm {
  readonly vendorId: number;
  readonly productId: number;
  readonly version: string;
}

export interface CaptureDevice {
  readonly model: string;
  readonly serialNumber: string;
  readonly firmware: string;
  /** The device's X.509 certificate, DER in base64. */
  readonly certificate: string;
}

/** One image of the transaction, in transaction order. */
export interface ManifestImage {
  readonly kind: 'finger' | 'slap' | 'face' | 'iris';
  /** ANSI/NIST-ITL finger position (FGP): 1–10 fingers, 13–15 slaps; 0 for a face or iris. */
  readonly position: number;
  readonly format: 'wsq' | 'jpeg' | 'jpeg2000' | 'png';
  /** SHA-256 of the image bytes as the transaction carries them, lower-case hex. */
  readonly sha256: string;
  readonly byteLength: number;
  readonly device: CaptureDevice;
  /** The device's own signature over the image bytes, base64 (its scheme follows the certificate). */
  readonly deviceSignature: string;
  /** 0..100, from `quality.algorithm`; absent for a face. */
  readonly quality?: { readonly score: number; readonly algorithm: QualityAlgorithm };
  /** How many captures the officer made of this image (≥ 1). */
  readonly attempts: number;
}

export interface CaptureException {
  /** The finger position that could not be captured. */
  readonly position: number;
  readonly reason: 'amputated' | 'bandaged' | 'unable-to-print' | 'other';
  readonly note?: string;
}

export interface PacketManifest {
  readonly manifestVersion: 1;
  /** UUID fixed when the enrollment session starts: a retry never makes a new one. */
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  readonly environment: Environment;
  readonly enrollmentType: EnrollmentType;
  readonly applicant: Applicant;
  readonly capture: {
    readonly images: readonly ManifestImage[];
    readonly exceptions: readonly CaptureException[];
  };
  /** SHA-256 of the whole transaction and of the portrait, lower-case hex. */
  readonly transactionSha256: string;
  readonly portraitSha256: string;
  readonly stationId: string;
  readonly officerId: string;
  readonly supervisorApproval: { readonly supervisorId: string; readonly approvedAt: string } | null;
  /** ISO 8601 date-times with an explicit offset. */
  readonly times: {
    readonly sessionStartedAt: string;
    /** The capture date the age rules use (its calendar date in Vietnam, UTC+7). */
    readonly capturedAt: string;
    readonly builtAt: string;
  };
  /** Head of the station's audit chain: SHA-256, lower-case hex. */
  readonly auditChainHead: string;
  /**
   * Where the station's audit chain stood when the packet was built (protocol/audit anchor): the
   * last entry's seq and hash. Central keeps the highest per station and echoes it in receipts.
   * Optional so packets built before it still open; when present `head` equals `auditChainHead`.
   */
  readonly audit?: { readonly seq: number; readonly head: string };
}

// ---------------------------------------------------------------------------------------------
// JSON Schema

export const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
export const SHA256 = '^[0-9a-f]{64}$';
export const DATE = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';
/** ISO 8601 date-time with an explicit offset (Z or ±hh:mm); seconds fraction optional. */
export const DATE_TIME =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$';
export const PERSONAL_ID = '^[0-9]{12}$';
const BASE64 = '^[A-Za-z0-9+/]*={0,2}$';

/** A text field: NFC, 1..max characters, no control characters. (Shared with eid-manifest.ts.) */
export const text = (maxLength: number, minLength = 1) => ({
  type: 'string',
  minLength,
  maxLength,
  pattern: '^[^\\u0000-\\u001f\\u007f]*$',
  nfc: true,
});
export const idText = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' };

const relative = {
  type: 'object',
  additionalProperties: false,
  required: ['fullName'],
  properties: { fullName: text(100), personalId: { type: 'string', pattern: PERSONAL_ID } },
};

export const MANIFEST_SCHEMA = {
  $id: 'https://cccd-station.invalid/schemas/packet-manifest-1.json',
  type: 'object',
  additionalProperties: false,
  required: [
    'manifestVersion',
    'packetId',
    'enrollmentSessionId',
    'environment',
    'enrollmentType',
    'applicant',
    'capture',
    'transactionSha256',
    'portraitSha256',
    'stationId',
    'officerId',
    'supervisorApproval',
    'times',
    'auditChainHead',
  ],
  properties: {
    manifestVersion: { const: MANIFEST_VERSION },
    packetId: { type: 'string', pattern: UUID },
    enrollmentSessionId: { type: 'string', pattern: UUID },
    environment: { enum: ['test', 'production'] },
    enrollmentType: { enum: ['first-issue', 'renewal', 'reissue-after-loss', 'correction'] },
    applicant: {
      type: 'object',
      additionalProperties: false,
      required: [
        'personalId',
        'fullName',
        'birthDate',
        'sex',
        'nationality',
        'ethnicity',
        'religion',
        'placeOfOrigin',
        'placeOfBirthRegistration',
        'placeOfResidence',
        'identifyingMarks',
      ],
      properties: {
        personalId: { type: 'string', pattern: PERSONAL_ID },
        fullName: text(100),
        birthDate: { type: 'string', pattern: DATE },
        sex: { enum: ['male', 'female'] },
        nationality: text(50),
        ethnicity: text(50),
        religion: text(50),
        placeOfOrigin: text(200),
        placeOfBirthRegistration: text(200),
        placeOfResidence: text(200),
        identifyingMarks: text(200, 0),
        father: relative,
        mother: relative,
        spouse: relative,
        legalRepresentative: {
          type: 'object',
          additionalProperties: false,
          required: ['personalId', 'fullName', 'relationship', 'consent'],
          properties: {
            personalId: { type: 'string', pattern: PERSONAL_ID },
            fullName: text(100),
            relationship: { enum: ['father', 'mother', 'guardian'] },
            consent: {
              type: 'object',
              additionalProperties: false,
              required: ['given', 'at'],
              properties: { given: { const: true }, at: { type: 'string', pattern: DATE_TIME } },
            },
          },
        },
      },
    },
    capture: {
      type: 'object',
      additionalProperties: false,
      required: ['images', 'exceptions'],
      properties: {
        images: {
          type: 'array',
          minItems: 1,
          maxItems: 64,
          items: {
            type: 'object',
            additionalProperties: false,
            required: [
              'kind',
              'position',
              'format',
              'sha256',
              'byteLength',
              'device',
              'deviceSignature',
              'attempts',
            ],
            properties: {
              kind: { enum: ['finger', 'slap', 'face', 'iris'] },
              position: { type: 'integer', minimum: 0, maximum: 99 },
              format: { enum: ['wsq', 'jpeg', 'jpeg2000', 'png'] },
              sha256: { type: 'string', pattern: SHA256 },
              byteLength: { type: 'integer', minimum: 1, maximum: 16_777_216 },
              device: {
                type: 'object',
                additionalProperties: false,
                required: ['model', 'serialNumber', 'firmware', 'certificate'],
                properties: {
                  model: text(64),
                  serialNumber: text(64),
                  firmware: text(64),
                  certificate: { type: 'string', minLength: 4, maxLength: 22_000, pattern: BASE64 },
                },
              },
              deviceSignature: { type: 'string', minLength: 4, maxLength: 2048, pattern: BASE64 },
              quality: {
                type: 'object',
                additionalProperties: false,
                required: ['score', 'algorithm'],
                properties: {
                  score: { type: 'integer', minimum: 0, maximum: 100 },
                  algorithm: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['vendorId', 'productId', 'version'],
                    properties: {
                      vendorId: { type: 'integer', minimum: 0, maximum: 0xffff },
                      productId: { type: 'integer', minimum: 0, maximum: 0xffff },
                      version: { type: 'string', minLength: 1, maxLength: 32 },
                    },
                  },
                },
              },
              attempts: { type: 'integer', minimum: 1, maximum: 99 },
            },
          },
        },
        exceptions: {
          type: 'array',
          maxItems: 10,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['position', 'reason'],
            properties: {
              position: { type: 'integer', minimum: 1, maximum: 10 },
              reason: { enum: ['amputated', 'bandaged', 'unable-to-print', 'other'] },
              note: text(200, 0),
            },
          },
        },
      },
    },
    transactionSha256: { type: 'string', pattern: SHA256 },
    portraitSha256: { type: 'string', pattern: SHA256 },
    stationId: idText,
    officerId: idText,
    supervisorApproval: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['supervisorId', 'approvedAt'],
          properties: { supervisorId: idText, approvedAt: { type: 'string', pattern: DATE_TIME } },
        },
      ],
    },
    times: {
      type: 'object',
      additionalProperties: false,
      required: ['sessionStartedAt', 'capturedAt', 'builtAt'],
      properties: {
        sessionStartedAt: { type: 'string', pattern: DATE_TIME },
        capturedAt: { type: 'string', pattern: DATE_TIME },
        builtAt: { type: 'string', pattern: DATE_TIME },
      },
    },
    auditChainHead: { type: 'string', pattern: SHA256 },
    audit: {
      type: 'object',
      additionalProperties: false,
      required: ['seq', 'head'],
      properties: {
        seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        head: { type: 'string', pattern: SHA256 },
      },
    },
  },
} as const;

export const manifestAjv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
manifestAjv.addKeyword({
  keyword: 'nfc',
  type: 'string',
  schemaType: 'boolean',
  errors: false,
  // Vietnamese has two spellings of most letters (precomposed and combining): only NFC is accepted,
  // so the text hashes, compares and prints the same at the station, at central and on the card.
  validate: (required: boolean, data: string) => !required || data.normalize('NFC') === data,
});
const validateSchema = manifestAjv.compile(MANIFEST_SCHEMA);

// ---------------------------------------------------------------------------------------------
// Problems

/** One failing field. `path` is a JSON Pointer into the manifest ('' for the whole document). */
export interface ManifestProblem {
  readonly path: string;
  /** The rule that failed: a JSON Schema keyword, or 'nfc', 'age', 'date', 'json', 'consistency'. */
  readonly rule: string;
  readonly message: string;
}

export function schemaProblem(error: ErrorObject): ManifestProblem {
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty ?? '');
    return { path: `${error.instancePath}/${missing}`, rule: 'required', message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty ?? '');
    return {
      path: `${error.instancePath}/${extra}`,
      rule: 'additionalProperties',
      message: 'is not allowed',
    };
  }
  if (error.keyword === 'nfc')
    return { path: error.instancePath, rule: 'nfc', message: 'must be Unicode NFC (precomposed letters)' };
  return { path: error.instancePath, rule: error.keyword, message: error.message ?? error.keyword };
}

// ---------------------------------------------------------------------------------------------
// Age rules (Law on Identity 2023, Art. 23; Decree 70/2024)

/** Biometrics are taken at the desk from this age (completed years). */
export const MIN_ENROLLMENT_AGE = 6;
/** Below this age (completed years) a legal representative's identity and consent are required. */
export const REPRESENTATIVE_REQUIRED_BELOW_AGE = 14;
/** Vietnam's offset from UTC, minutes (ICT, no daylight saving). */
const VIETNAM_OFFSET_MINUTES = 7 * 60;

interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** A real calendar date from YYYY-MM-DD, or undefined (2023-02-29, 2024-04-31 ...). */
export function parseCalendarDate(value: string): CalendarDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/**
 * The calendar date in Vietnam (UTC+7) of an ISO 8601 date-time with offset, or undefined when it
 * is not one (or names an impossible date).
 */
export function vietnamDateOf(dateTime: string): CalendarDate | undefined {
  if (!new RegExp(DATE_TIME).test(dateTime)) return undefined;
  if (parseCalendarDate(dateTime.slice(0, 10)) === undefined) return undefined;
  const ms = Date.parse(dateTime);
  if (Number.isNaN(ms)) return undefined;
  const local = new Date(ms + VIETNAM_OFFSET_MINUTES * 60_000);
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/**
 * Age in completed years on `on`. A 29 February birthday falls, in a common year, on 28 February:
 * the last day of the month, as the Civil Code 2015 (Art. 148) ends a period whose month lacks the
 * day. Negative when `on` is before the birth date.
 */
export function ageInYears(birth: CalendarDate, on: CalendarDate): number {
  let age = on.year - birth.year;
  const anniversaryDay = Math.min(birth.day, daysInMonth(on.year, birth.month));
  if (on.month < birth.month || (on.month === birth.month && on.day < anniversaryDay)) age -= 1;
  return age;
}

function ageProblems(manifest: PacketManifest): ManifestProblem[] {
  const birth = parseCalendarDate(manifest.applicant.birthDate);
  const captured = vietnamDateOf(manifest.times.capturedAt);
  const problems: ManifestProblem[] = [];
  if (birth === undefined)
    problems.push({ path: '/applicant/birthDate', rule: 'date', message: 'is not a calendar date' });
  if (captured === undefined)
    problems.push({ path: '/times/capturedAt', rule: 'date', message: 'is not a valid date-time' });
  if (birth === undefined || captured === undefined) return problems;
  const age = ageInYears(birth, captured);
  if (age < 0)
    problems.push({ path: '/applicant/birthDate', rule: 'age', message: 'is after the capture date' });
  else if (age < MIN_ENROLLMENT_AGE)
    problems.push({
      path: '/applicant/birthDate',
      rule: 'age',
      message: `applicant is ${age} on the capture date; under ${MIN_ENROLLMENT_AGE} applies through the online portal, not at the desk`,
    });
  else if (age < REPRESENTATIVE_REQUIRED_BELOW_AGE && manifest.applicant.legalRepresentative === undefined)
    problems.push({
      path: '/applicant/legalRepresentative',
      rule: 'age',
      message: `applicant is ${age} on the capture date: the legal representative's identity and consent are required from ${MIN_ENROLLMENT_AGE} to ${REPRESENTATIVE_REQUIRED_BELOW_AGE - 1}`,
    });
  return problems;
}

function consistencyProblems(manifest: PacketManifest): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const [i, image] of manifest.capture.images.entries()) {
    const finger = image.kind === 'finger' && image.position >= 1 && image.position <= 10;
    const slap = image.kind === 'slap' && image.position >= 13 && image.position <= 15;
    const other = (image.kind === 'face' || image.kind === 'iris') && image.position === 0;
    if (!finger && !slap && !other)
      problems.push({
        path: `/capture/images/${i}/position`,
        rule: 'consistency',
        message: `position ${image.position} does not fit kind '${image.kind}'`,
      });
    if ((image.kind === 'finger' || image.kind === 'slap') && image.quality === undefined)
      problems.push({ path: `/capture/images/${i}/quality`, rule: 'required', message: 'is required' });
  }
  const audit = manifest.audit;
  if (audit !== undefined) {
    if (audit.head !== manifest.auditChainHead)
      problems.push({ path: '/audit/head', rule: 'consistency', message: 'differs from auditChainHead' });
    // protocol/audit: seq 0 is the empty chain, whose head is 64 zeros, and only it.
    if ((audit.seq === 0) !== (audit.head === '0'.repeat(64)))
      problems.push({
        path: '/audit/seq',
        rule: 'consistency',
        message: 'seq 0 goes with the empty chain head (64 zeros), and only with it',
      });
  }
  for (const key of ['sessionStartedAt', 'builtAt'] as const)
    if (vietnamDateOf(manifest.times[key]) === undefined)
      problems.push({ path: `/times/${key}`, rule: 'date', message: 'is not a valid date-time' });
  return problems;
}

export type ManifestValidation =
  | { readonly ok: true; readonly manifest: PacketManifest }
  | { readonly ok: false; readonly problems: readonly ManifestProblem[] };

/**
 * Validates a parsed manifest: the schema, then (when the schema holds) NFC, the age rules on the
 * capture date and the image list's own consistency. Every problem is listed. Never throws.
 */
export function validateManifest(value: unknown): ManifestValidation {
  if (!validateSchema(value))
    return { ok: false, problems: (validateSchema.errors ?? []).map(schemaProblem) };
  const manifest = value as unknown as PacketManifest;
  const problems = [...ageProblems(manifest), ...consistencyProblems(manifest)];
  return problems.length === 0 ? { ok: true, manifest } : { ok: false, problems };
}

/** The manifest as the packet carries it: UTF-8 JSON, keys in the order given. */
export function encodeManifest(manifest: PacketManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest));
}

/** Parses and validates manifest bytes; invalid UTF-8 or JSON is one problem at path ''. */
export function decodeManifest(bytes: Uint8Array): ManifestValidation {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '', rule: 'json', message: `not UTF-8 JSON: ${(error as Error).message}` }],
    };
  }
  return validateManifest(value);
}
