/**
 * The e-ID level-2 application's manifest (issue 21, part 4): what the station asserts when it
 * registers a citizen for their national electronic identification account at level 2 (định danh
 * điện tử mức 2): who the chip says the citizen is and that the chip is genuine, that the live face
 * matched the chip portrait, and the contact details the citizen consented to give. UTF-8 JSON
 * inside the signed content of its own packet type (eid.ts), field by field in README.md.
 *
 * Validation is a JSON Schema (the same ajv and NFC keyword as the enrollment manifest) plus the
 * rules JSON Schema cannot state: the audit anchor agreeing with the chain head. Pure.
 */
import {
  DATE_TIME,
  type Environment,
  idText,
  type ManifestProblem,
  manifestAjv,
  type PacketManifest,
  PERSONAL_ID,
  SHA256,
  schemaProblem,
  text,
  UUID,
} from './manifest.ts';

/** The manifest's type tag: what tells this manifest from an enrollment's. */
export const EID_MANIFEST_TYPE = 'eid-level2-application';
/** Version of this layout; bumped on any incompatible change. */
export const EID_MANIFEST_VERSION = 1;

/** A Vietnamese mobile number as the manifest carries it: 10 digits, 03/05/07/08/09 then 8 digits. */
export const VN_MOBILE = '^0[35789][0-9]{8}$';
/** An e-mail address as the manifest carries it (already checked and normalised by the station). */
export const EMAIL =
  "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$";

export interface EidApplicationManifest {
  readonly manifestType: typeof EID_MANIFEST_TYPE;
  readonly manifestVersion: typeof EID_MANIFEST_VERSION;
  /** The packet id (UUID), fixed when the registration starts: a retry never makes a new one. */
  readonly packetId: string;
  /** The station's registration session (UUID); the envelope's session label carries it. */
  readonly registrationSessionId: string;
  readonly environment: Environment;
  /** The assurance level applied for. */
  readonly level: 2;
  /** The citizen as the chip gives them (DG13 and DG1), after Passive Authentication passed. */
  readonly citizen: {
    readonly personalId: string;
    readonly fullName: string;
    /** DG1's document number. */
    readonly documentNumber: string;
    /** DG1's dates, YYMMDD as the MRZ writes them. */
    readonly dateOfBirth: string;
    readonly dateOfExpiry: string;
    /** DG1's sex: M, F, X or < (unspecified). */
    readonly sex: 'M' | 'F' | 'X' | '<';
  };
  /** The chip checks the station made (ICAO 9303-11); the application is made only when all passed. */
  readonly chip: {
    readonly accessMethod: string;
    readonly passiveAuthentication: 'valid';
    readonly chipVerdict: 'genuine-chip';
    readonly chipAuthentication: string;
    readonly activeAuthentication: string;
    /** The document signer's subject, as Passive Authentication found it. */
    readonly documentSigner: string;
    /** SHA-256 of EF.SOD as read; the SOD itself travels in the packet. */
    readonly sodSha256: string;
    /** The card's expiry as checked on the station's calendar day, yyyy-mm-dd. */
    readonly validOn: string;
  };
  /** The live face against the chip portrait (DG2): made only when the engine said "same". */
  readonly face: {
    readonly decision: 'same';
    readonly distance: number;
    readonly threshold: number;
    readonly engine: string;
    readonly engineVersion: string;
    /** SHA-256 of the live portrait (JPEG) the packet carries. */
    readonly livePortraitSha256: string;
  };
  /** The contact details, normalised: the mobile as 0XXXXXXXXX, the e-mail's domain lower-case. */
  readonly contact: { readonly phone: string; readonly email: string };
  /** The citizen's explicit consent, with the version of the text they were shown and when. */
  readonly consent: {
    readonly phone: true;
    readonly email: true;
    readonly dataProcessing: true;
    readonly textVersion: string;
    readonly at: string;
  };
  readonly stationId: string;
  readonly officerId: string;
  /** How the officer proved presence when signing (the password or PIN entered again). */
  readonly signingMethod: 'password' | 'pin' | 'token';
  readonly times: { readonly sessionStartedAt: string; readonly signedAt: string; readonly builtAt: string };
  /** Head of the station's audit chain and its anchor, as in the enrollment manifest. */
  readonly auditChainHead: string;
  readonly audit?: { readonly seq: number; readonly head: string };
}

const dateTime = { type: 'string', pattern: DATE_TIME } as const;
const status = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z-]+$' } as const;

export const EID_MANIFEST_SCHEMA = {
  $id: 'https://cccd-station.invalid/schemas/eid-level2-application-1.json',
  type: 'object',
  additionalProperties: false,
  required: [
    'manifestType',
    'manifestVersion',
    'packetId',
    'registrationSessionId',
    'environment',
    'level',
    'citizen',
    'chip',
    'face',
    'contact',
    'consent',
    'stationId',
    'officerId',
    'signingMethod',
    'times',
    'auditChainHead',
  ],
  properties: {
    manifestType: { const: EID_MANIFEST_TYPE },
    manifestVersion: { const: EID_MANIFEST_VERSION },
    packetId: { type: 'string', pattern: UUID },
    registrationSessionId: { type: 'string', pattern: UUID },
    environment: { enum: ['test', 'production'] },
    level: { const: 2 },
    citizen: {
      type: 'object',
      additionalProperties: false,
      required: ['personalId', 'fullName', 'documentNumber', 'dateOfBirth', 'dateOfExpiry', 'sex'],
      properties: {
        personalId: { type: 'string', pattern: PERSONAL_ID },
        fullName: text(100),
        documentNumber: { type: 'string', pattern: '^[0-9A-Z]{1,22}$' },
        dateOfBirth: { type: 'string', pattern: '^[0-9]{6}$' },
        dateOfExpiry: { type: 'string', pattern: '^[0-9<]{6}$' },
        sex: { enum: ['M', 'F', 'X', '<'] },
      },
    },
    chip: {
      type: 'object',
      additionalProperties: false,
      required: [
        'accessMethod',
        'passiveAuthentication',
        'chipVerdict',
        'chipAuthentication',
        'activeAuthentication',
        'documentSigner',
        'sodSha256',
        'validOn',
      ],
      properties: {
        accessMethod: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' },
        passiveAuthentication: { const: 'valid' },
        chipVerdict: { const: 'genuine-chip' },
        chipAuthentication: status,
        activeAuthentication: status,
        documentSigner: text(300),
        sodSha256: { type: 'string', pattern: SHA256 },
        validOn: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
      },
    },
    face: {
      type: 'object',
      additionalProperties: false,
      required: ['decision', 'distance', 'threshold', 'engine', 'engineVersion', 'livePortraitSha256'],
      properties: {
        decision: { const: 'same' },
        distance: { type: 'number', minimum: 0, maximum: 100 },
        threshold: { type: 'number', minimum: 0, maximum: 100 },
        engine: text(64),
        engineVersion: text(32),
        livePortraitSha256: { type: 'string', pattern: SHA256 },
      },
    },
    contact: {
      type: 'object',
      additionalProperties: false,
      required: ['phone', 'email'],
      properties: {
        phone: { type: 'string', pattern: VN_MOBILE },
        email: { type: 'string', maxLength: 254, pattern: EMAIL },
      },
    },
    consent: {
      type: 'object',
      additionalProperties: false,
      required: ['phone', 'email', 'dataProcessing', 'textVersion', 'at'],
      properties: {
        phone: { const: true },
        email: { const: true },
        dataProcessing: { const: true },
        textVersion: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._-]+$' },
        at: dateTime,
      },
    },
    stationId: idText,
    officerId: idText,
    signingMethod: { enum: ['password', 'pin', 'token'] },
    times: {
      type: 'object',
      additionalProperties: false,
      required: ['sessionStartedAt', 'signedAt', 'builtAt'],
      properties: { sessionStartedAt: dateTime, signedAt: dateTime, builtAt: dateTime },
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

const validateSchema = manifestAjv.compile(EID_MANIFEST_SCHEMA);

export type EidManifestValidation =
  | { readonly ok: true; readonly manifest: EidApplicationManifest }
  | { readonly ok: false; readonly problems: readonly ManifestProblem[] };

/** Validates a parsed e-ID manifest: the schema, then the audit anchor. Every problem is listed; never throws. */
export function validateEidManifest(value: unknown): EidManifestValidation {
  if (!validateSchema(value))
    return { ok: false, problems: (validateSchema.errors ?? []).map(schemaProblem) };
  const manifest = value as unknown as EidApplicationManifest;
  const problems: ManifestProblem[] = [];
  const audit = manifest.audit;
  if (audit !== undefined && audit.head !== manifest.auditChainHead)
    problems.push({ path: '/audit/head', rule: 'consistency', message: 'differs from auditChainHead' });
  if (audit !== undefined && (audit.seq === 0) !== (audit.head === '0'.repeat(64)))
    problems.push({
      path: '/audit/seq',
      rule: 'consistency',
      message: 'seq 0 goes with the empty chain head (64 zeros), and only with it',
    });
  return problems.length === 0 ? { ok: true, manifest } : { ok: false, problems };
}

/** Parses and validates manifest bytes; invalid UTF-8 or JSON is one problem at path ''. */
export function decodeEidManifest(bytes: Uint8Array): EidManifestValidation {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '', rule: 'json', message: `not UTF-8 JSON: ${(error as Error).message}` }],
    };
  }
  return validateEidManifest(value);
}

/** A manifest of any packet type central takes. */
export type AnyManifest = PacketManifest | EidApplicationManifest;

/** The station session a packet belongs to: the enrollment's, or the e-ID registration's. */
export function sessionIdOf(manifest: AnyManifest): string {
  return 'manifestType' in manifest ? manifest.registrationSessionId : manifest.enrollmentSessionId;
}
