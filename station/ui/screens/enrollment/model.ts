/**
 * The enrollment draft as the station shows it (GET /enrollments/:id, station/workflows/enrollment
 * service.ts's DraftView) and the calls that move it: every step carries the version the screen
 * saw, so a repeated click gets the first answer instead of acting twice.
 */
import { api, type Bilingual } from '../../api.ts';

export type Stage =
  | 'type'
  | 'prefill'
  | 'demographics'
  | 'portrait'
  | 'fingerprints'
  | 'review'
  | 'signed'
  | 'approved'
  | 'queued'
  | 'abandoned';

export type EnrollmentType = 'first-issue' | 'renewal' | 'reissue-after-loss' | 'correction';
export type Hand = 'right' | 'left' | 'thumbs';
export type ExceptionReason = 'amputated' | 'bandaged' | 'unable-to-print' | 'other';

export const HANDS: readonly Hand[] = ['right', 'left', 'thumbs'];
/** The finger positions each slap holds (ANSI/NIST FGP: 1 right thumb … 10 left little). */
export const HAND_POSITIONS: Readonly<Record<Hand, readonly number[]>> = {
  right: [2, 3, 4, 5],
  left: [7, 8, 9, 10],
  thumbs: [1, 6],
};

export interface Relative {
  readonly fullName: string;
  readonly personalId?: string;
}

export interface Applicant {
  readonly personalId: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly placeOfOrigin: string;
  readonly placeOfBirthRegistration: string;
  readonly placeOfResidence: string;
  readonly identifyingMarks?: string;
  readonly father?: Relative;
  readonly mother?: Relative;
  readonly spouse?: Relative;
}

export interface Difference {
  readonly field: string;
  readonly typed: string;
  readonly recorded: string;
}

export interface Finding {
  readonly code: string;
  readonly blocking: boolean;
  readonly hands: readonly Hand[];
  readonly message: Bilingual;
}

export interface DraftView {
  readonly id: string;
  readonly packetId: string;
  readonly version: number;
  readonly stage: Stage;
  readonly type: EnrollmentType | null;
  readonly officerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly prefill: {
    readonly source: 'card' | 'qr' | 'population' | 'none';
    readonly record: Readonly<Record<string, string>>;
    readonly cardNumber?: string;
    readonly card?: Readonly<Record<string, string>>;
    readonly reason?: string;
    readonly differences: readonly Difference[];
    readonly cardDifferences: readonly Difference[];
  } | null;
  readonly demographics: {
    readonly applicant: Applicant;
    readonly nationalityCode: string;
    readonly previousCardNumber?: string;
    readonly formerIdNumber?: string;
    readonly correction?: { readonly fields: readonly string[]; readonly document: string };
    readonly age: number;
  } | null;
  readonly portrait: { readonly sha256: string; readonly bytes: number; readonly attempts: number } | null;
  readonly slaps: readonly {
    readonly hand: Hand;
    readonly attempts: number;
    readonly minScore: number;
    readonly fingers: readonly { readonly position: number; readonly score: number }[];
  }[];
  readonly exceptions: readonly {
    readonly position: number;
    readonly reason: ExceptionReason;
    readonly note?: string;
    readonly confirmedBy: string;
    readonly at: string;
  }[];
  readonly checks: {
    readonly findings: readonly Finding[];
    readonly at: string;
    readonly attempts: string;
  } | null;
  readonly signature: { readonly officerId: string; readonly method: string; readonly at: string } | null;
  readonly approval: { readonly supervisorId: string; readonly at: string } | null;
  readonly approvalRules: readonly string[];
  readonly digest: string;
  readonly next: readonly string[];
}

export interface StepAnswer {
  readonly ok: true;
  readonly replayed: boolean;
  readonly outcome: {
    readonly version: number;
    readonly stage: Stage;
    readonly findings?: readonly Finding[];
    readonly note?: Bilingual;
  };
  readonly draft?: DraftView;
  readonly packet?: { readonly packetId: string; readonly state: string };
}

export type StepBody = Readonly<Record<string, unknown>> & { readonly kind: string };

/**
 * Sends one step at `version`.
 * @throws {ApiError} the station's refusal (WRONG_STAGE, VERSION_CONFLICT, DEMOGRAPHICS_INVALID with
 *   `problems`, a device's refusal with the officer's words); {ConnectionLostError} when unreachable.
 */
export function sendStep(
  id: string,
  version: number,
  step: StepBody,
  signal?: AbortSignal,
): Promise<StepAnswer> {
  return api<StepAnswer>('POST', `/enrollments/${id}/steps`, { version, step }, signal);
}

export function loadDraft(id: string): Promise<DraftView> {
  return api<DraftView>('GET', `/enrollments/${id}`);
}

/** The order of the stages the progress bar shows (abandoned is not one). */
export const STAGE_ORDER: readonly Stage[] = [
  'type',
  'prefill',
  'demographics',
  'portrait',
  'fingerprints',
  'review',
  'signed',
  'approved',
  'queued',
];

export function stageIndex(stage: Stage): number {
  return STAGE_ORDER.indexOf(stage);
}
