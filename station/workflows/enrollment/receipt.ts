/**
 * The citizen's receipt (giấy hẹn): what the officer prints when an enrollment is queued. It names
 * the applicant, the kind of application, the packet id (also as a QR code, which the return desk
 * scans to find the card) and the date from which the card can be collected.
 *
 * The expected date counts working days from the submission, as the Law on Identification (2023)
 * sets the time limit for issuing a card in working days: Saturdays and Sundays are skipped, and so
 * are the public holidays the station is given (the holiday calendar changes yearly by decree, so it
 * is configuration, not code). Dates are Vietnam's calendar dates (UTC+7, no daylight saving).
 */
import type { EnrollmentType } from '../../../protocol/packet/manifest.ts';
import type { Draft } from './machine.ts';

/** Working days from submission to collection when the station is told nothing else. */
export const DEFAULT_RECEIPT_WORKING_DAYS = 7;
const VIETNAM_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface ReceiptData {
  readonly format: 1;
  readonly enrollmentId: string;
  readonly packetId: string;
  readonly type: EnrollmentType;
  readonly fullName: string;
  readonly personalId: string;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  /** ISO time of the submission. */
  readonly submittedAt: string;
  /** YYYY-MM-DD, Vietnam's calendar. */
  readonly expectedFrom: string;
  readonly stationId: string;
  readonly officerId: string;
  /** Fingers declared not captured (position and reason), printed so the citizen sees them. */
  readonly exceptions: readonly { readonly position: number; readonly reason: string }[];
}

export interface ReceiptCalendar {
  /** Working days from submission to collection (default 7). */
  readonly workingDays?: number;
  /** Public holidays (YYYY-MM-DD) that are not working days. */
  readonly holidays?: readonly string[];
}

/** The calendar date in Vietnam (YYYY-MM-DD) of an instant, ms since the epoch. */
export function vietnamDate(ms: number): string {
  return new Date(ms + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The date `workingDays` working days after the submission's date (the submission day itself is
 * not counted), skipping weekends and `holidays`.
 * @throws {RangeError} for a negative or fractional day count, or a holiday that is not YYYY-MM-DD.
 */
export function expectedDate(submittedAtMs: number, calendar: ReceiptCalendar = {}): string {
  const days = calendar.workingDays ?? DEFAULT_RECEIPT_WORKING_DAYS;
  if (!Number.isInteger(days) || days < 0 || days > 365)
    throw new RangeError(`working days must be an integer 0..365, got ${days}`);
  const holidays = new Set(calendar.holidays ?? []);
  for (const day of holidays)
    if (!ISO_DATE.test(day)) throw new RangeError(`holiday '${day}' is not a YYYY-MM-DD date`);
  // Noon in Vietnam of the submission day: whole-day steps from there never cross a date boundary.
  let cursor = Date.parse(`${vietnamDate(submittedAtMs)}T12:00:00Z`);
  let counted = 0;
  while (counted < days) {
    cursor += DAY_MS;
    const date = new Date(cursor);
    const weekday = date.getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    if (holidays.has(date.toISOString().slice(0, 10))) continue;
    counted++;
  }
  return new Date(cursor).toISOString().slice(0, 10);
}

/**
 * The receipt of a draft that is being queued.
 * @throws {TypeError} when the draft has no type, demographics or signature (the machine refuses
 *   to queue such a draft, so this is a programmer error).
 */
export function receiptOf(
  draft: Draft,
  submittedAtMs: number,
  stationId: string,
  calendar: ReceiptCalendar = {},
): ReceiptData {
  if (draft.type === undefined || draft.demographics === undefined)
    throw new TypeError(`enrollment ${draft.id} has no type or demographics; it cannot be queued`);
  const { applicant } = draft.demographics;
  return {
    format: 1,
    enrollmentId: draft.id,
    packetId: draft.packetId,
    type: draft.type,
    fullName: applicant.fullName,
    personalId: applicant.personalId,
    birthDate: applicant.birthDate,
    submittedAt: new Date(submittedAtMs).toISOString(),
    expectedFrom: expectedDate(submittedAtMs, calendar),
    stationId,
    officerId: draft.signature?.officerId ?? draft.officerId,
    exceptions: draft.exceptions.map((e) => ({ position: e.position, reason: e.reason })),
  };
}

/**
 * Checks decrypted receipt JSON (the file is authenticated, so this guards against a format change,
 * not an attacker).
 */
export function isReceiptData(value: unknown): value is ReceiptData {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    r.format === 1 &&
    typeof r.enrollmentId === 'string' &&
    typeof r.packetId === 'string' &&
    typeof r.type === 'string' &&
    typeof r.fullName === 'string' &&
    typeof r.personalId === 'string' &&
    typeof r.birthDate === 'string' &&
    typeof r.submittedAt === 'string' &&
    typeof r.expectedFrom === 'string' &&
    typeof r.stationId === 'string' &&
    typeof r.officerId === 'string' &&
    Array.isArray(r.exceptions)
  );
}
