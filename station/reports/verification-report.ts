/**
 * The signed verification report (issue 21 part 3): what a notary's verification found, as JSON with
 * a stable schema, and the chip evidence that lets a third party redo the chip checks without
 * trusting the station (`station report verify`, redo.ts).
 *
 * Schema `cccd-verification-report`, version 1 (a field is never renamed or repurposed within a
 * version; a reader refuses a version it does not know):
 *
 * | field | what |
 * |---|---|
 * | schema, version | "cccd-verification-report", 1 |
 * | reportId, sessionId | UUIDs |
 * | stationId, environment | the signing station; "test" or "production" |
 * | createdAt | ISO 8601, the station's clock |
 * | officer | { id, authenticated, signingMethod }: who asked for the report and how the signature was granted |
 * | verdict | { code, message {vi,en}, findings [{code, message}], precedence [codes] } (workflow verdict.ts) |
 * | card | the holder as the chip's DG1/DG13 give it (no portrait), the access method, the expiry verdict |
 * | chip | PA verdict and per-DG status, CA and AA status, chip verdict: the station's result of the checks |
 * | status | central's card status: { checked: true, status, since, asOf } or { checked: false, reason, message } |
 * | face, finger | { checked, decision, ... , claim: "station" }: the station's claim, not re-checkable |
 * | evidence | sod (base64 EF.SOD), documentSigner (base64 DER), hashAlgorithm, dataGroupHashes {n: hex}, |
 * |          | dataGroups {n: base64} for DG1, DG13, DG14, DG15 only, activeAuthentication { challenge, signature } hex |
 * | notice | { vi, en }: what a reader can redo and what is the station's claim |
 * | audit? | { seq, head }: the audit trail's anchor when the station has one (filled by the lead's audit) |
 *
 * The portrait (DG2) and fingerprints (DG3) are never in the report: only their hashes, which the
 * verifier compares with the hashes the issuer signed in EF.SOD.
 */
import type { OfficerMessage } from '../../protocol/cccd/text.ts';

export const REPORT_SCHEMA = 'cccd-verification-report';
export const REPORT_VERSION = 1;

/** The plain statement every report carries (Vietnamese first). */
export const REPORT_NOTICE: OfficerMessage = {
  vi: 'Kết quả kiểm tra chip (chữ ký dữ liệu, mã băm các nhóm dữ liệu, xác thực chủ động) có thể kiểm tra lại từ các bằng chứng kèm theo. Kết quả đối chiếu khuôn mặt và vân tay là khẳng định của trạm, không kiểm tra lại được từ báo cáo này.',
  en: "The chip checks (the data's signature, the data-group hashes, Active Authentication) can be redone from the evidence included. The face and fingerprint results are the station's claim and cannot be re-checked from this report.",
};

export interface ReportOfficer {
  readonly id: string;
  /** False when the station ran without officer accounts (the default before auth is wired). */
  readonly authenticated: boolean;
  /** How the signature was granted: "password", "pin", or "none" without accounts. */
  readonly signingMethod: string;
}

export interface ReportEvidence {
  /** EF.SOD, base64. */
  readonly sod: string;
  /** The document signer's certificate (DER) from the SOD, base64; null when the SOD carries none. */
  readonly documentSigner: string | null;
  readonly hashAlgorithm: string | null;
  /** Lowercase hex hash of each data group the station read, by number. */
  readonly dataGroupHashes: Readonly<Record<string, string>>;
  /** DG1, DG13, DG14, DG15 as read, base64, by number (no biometrics). */
  readonly dataGroups: Readonly<Record<string, string>>;
  /** INTERNAL AUTHENTICATE's challenge and the chip's signature, lowercase hex; null when AA did not run. */
  readonly activeAuthentication: { readonly challenge: string; readonly signature: string } | null;
}

export interface VerificationReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly version: typeof REPORT_VERSION;
  readonly reportId: string;
  readonly sessionId: string;
  readonly stationId: string;
  readonly environment: string;
  readonly createdAt: string;
  readonly officer: ReportOfficer;
  readonly verdict: {
    readonly code: string;
    readonly message: OfficerMessage;
    readonly findings: readonly { readonly code: string; readonly message: OfficerMessage }[];
    readonly precedence: readonly string[];
  };
  readonly card: {
    readonly accessMethod: string;
    readonly holder: Readonly<Record<string, string | null>> | null;
    readonly validity: {
      readonly kind: string;
      readonly valid: boolean | null;
      readonly dateOfExpiry: string | null;
      readonly today: string;
    };
  };
  readonly chip: {
    readonly passiveAuthentication: {
      readonly verdict: string;
      readonly dataGroups: readonly { readonly dataGroup: number; readonly status: string }[];
      readonly documentSigner: string | null;
      readonly csca: string | null;
    };
    readonly chipAuthentication: { readonly status: string; readonly detail?: string };
    readonly activeAuthentication: { readonly status: string; readonly detail?: string };
    readonly verdict: string;
  };
  readonly status:
    | {
        readonly checked: true;
        readonly status: string;
        readonly since: string | null;
        readonly asOf: string | null;
      }
    | { readonly checked: false; readonly reason: string; readonly message: OfficerMessage };
  readonly face: Readonly<Record<string, unknown>> & { readonly checked: boolean; readonly claim: 'station' };
  readonly finger: Readonly<Record<string, unknown>> & {
    readonly checked: boolean;
    readonly claim: 'station';
  };
  readonly evidence: ReportEvidence;
  readonly notice: OfficerMessage;
  readonly audit?: { readonly seq: number; readonly head: string };
}

/** The exact bytes that are signed and served: UTF-8 JSON, two-space indented, a final newline. */
export function encodeReport(report: VerificationReport): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
}

export type ReportDecodeResult =
  | { readonly ok: true; readonly report: VerificationReport }
  | { readonly ok: false; readonly problem: string };

/** Largest report accepted, bytes (EF.SOD and the small DGs are a few KB). */
export const MAX_REPORT_BYTES = 1024 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads report bytes: UTF-8 JSON of schema and version known here, with the fields the verifier
 * uses present and of the right type. Never throws.
 */
export function decodeReport(bytes: Uint8Array): ReportDecodeResult {
  if (bytes.length > MAX_REPORT_BYTES) return { ok: false, problem: `larger than ${MAX_REPORT_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, problem: `not UTF-8 JSON (${(error as Error).message})` };
  }
  if (!isRecord(value)) return { ok: false, problem: 'not a JSON object' };
  if (value.schema !== REPORT_SCHEMA) return { ok: false, problem: `schema is not ${REPORT_SCHEMA}` };
  if (value.version !== REPORT_VERSION)
    return { ok: false, problem: `version ${String(value.version)} is not ${REPORT_VERSION}` };
  const evidence = value.evidence;
  if (!isRecord(evidence) || typeof evidence.sod !== 'string')
    return { ok: false, problem: 'evidence.sod is missing' };
  if (!isRecord(evidence.dataGroupHashes) || !isRecord(evidence.dataGroups))
    return { ok: false, problem: 'evidence.dataGroupHashes or evidence.dataGroups is missing' };
  if (!isRecord(value.officer) || typeof value.officer.id !== 'string')
    return { ok: false, problem: 'officer.id is missing' };
  if (!isRecord(value.verdict) || typeof value.verdict.code !== 'string')
    return { ok: false, problem: 'verdict.code is missing' };
  if (!isRecord(value.chip)) return { ok: false, problem: 'chip is missing' };
  return { ok: true, report: value as unknown as VerificationReport };
}
