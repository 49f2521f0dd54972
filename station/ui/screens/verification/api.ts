/**
 * The notary's verification session from the screen: the station's /verifications steps (each with
 * the version last seen, so a retried request never acts twice), and what their answers hold that the
 * screen shows. See station/workflows/verification/README.md for the steps and their order.
 */
import { ApiError, api, type Bilingual } from '../../api.ts';

export interface Holder {
  readonly fullName?: string | null;
  readonly id12?: string | null;
  readonly documentNumber: string;
  readonly dateOfBirth: string;
  readonly dateOfExpiry: string;
}

export interface CardRead {
  readonly accessMethod: string;
  readonly holder: Holder | null;
  readonly validity: {
    readonly kind: string;
    readonly message?: Bilingual;
    /** yyyy-mm-dd (the chip's DG13, or DG1's date with its century resolved); null when none. */
    readonly dateOfExpiry?: string | null;
  };
  readonly passiveAuthentication: { readonly verdict: string; readonly message?: Bilingual };
  readonly chip: {
    readonly verdict: string;
    readonly message?: Bilingual;
    readonly chipAuthentication?: { readonly status: string };
    readonly activeAuthentication?: { readonly status: string };
  };
  readonly fingerprints: { readonly status: string; readonly message?: Bilingual };
  readonly portrait: boolean;
}

export type StatusResult =
  | { readonly checked: true; readonly status: string; readonly since: string | null }
  | { readonly checked: false; readonly reason: string; readonly message: Bilingual };

export type FaceResult =
  | { readonly checked: true; readonly decision: 'same' | 'different'; distance: number; threshold: number }
  | { readonly checked: false; readonly reason: string; readonly message: Bilingual };

export type FingerResult =
  | {
      readonly checked: true;
      readonly decision: 'match' | 'no-match' | 'cannot-compare';
      readonly score: number;
    }
  | { readonly checked: false; readonly reason: string; readonly message: Bilingual };

export interface VerdictResult {
  readonly code: string;
  readonly message: Bilingual;
  readonly findings: readonly { readonly code: string; readonly message: Bilingual }[];
}

interface StepAnswer<R> {
  readonly sessionId: string;
  readonly version: number;
  readonly state: string;
  readonly result: R;
}

/** One session on the station: its id and the version its next step carries. */
export class VerificationSession {
  version = 0;
  private constructor(readonly id: string) {}

  /** @throws {ApiError} / {ConnectionLostError} as api() does. */
  static async start(): Promise<VerificationSession> {
    const created = await api<{ sessionId: string; version: number }>('POST', '/verifications');
    const session = new VerificationSession(created.sessionId);
    session.version = created.version;
    return session;
  }

  /**
   * Runs `step` at the version last seen. A version conflict (another tab, a lost answer) is settled
   * by reading the session's version and trying once more.
   * @throws {ApiError} the station's refusal; {ConnectionLostError}.
   */
  async step<R>(step: string, body: Record<string, unknown> = {}): Promise<R> {
    try {
      return await this.#send<R>(step, body);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'VERIFICATION_VERSION_CONFLICT') throw error;
      const view = await api<{ version: number }>('GET', `/verifications/${this.id}`);
      this.version = view.version;
      return this.#send<R>(step, body);
    }
  }

  async #send<R>(step: string, body: Record<string, unknown>): Promise<R> {
    const answer = await api<StepAnswer<R>>('POST', `/verifications/${this.id}/${step}`, {
      version: this.version,
      ...body,
    });
    this.version = answer.version;
    return answer.result;
  }

  /** The chip portrait as an object URL (revoke it when done), or undefined when there is none. */
  async portraitUrl(): Promise<string | undefined> {
    const response = await fetch(`/verifications/${this.id}/portrait`, { credentials: 'same-origin' });
    if (!response.ok) return undefined;
    return URL.createObjectURL(await response.blob());
  }

  reportUrl(kind: 'json' | 'pdf', print = false): string {
    return `/verifications/${this.id}/report.${kind}${print ? '?print=true' : ''}`;
  }
}
