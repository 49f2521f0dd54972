/**
 * What every server-side workflow (enrollment, e-ID registration) does before a step runs: a step
 * carries the version the screen saw. At the current version it proceeds if the stage allows it; at
 * an older version the same request (by its digest) is answered with its first outcome, so a double
 * click or a retry after a lost answer acts once; anything else is refused with what was expected.
 */

export interface Bilingual {
  readonly vi: string;
  readonly en: string;
}

/** A refusal before a step runs: the version moved on, or the stage does not allow the step. */
export interface StepRefusal<S extends string> {
  readonly code: 'VERSION_CONFLICT' | 'WRONG_STAGE';
  readonly message: Bilingual;
  readonly expected: { readonly stages?: readonly S[]; readonly version?: number };
  readonly stage: S;
}

export type Precheck<S extends string, O> =
  | { readonly kind: 'proceed' }
  | { readonly kind: 'replay'; readonly outcome: O }
  | { readonly kind: 'refused'; readonly refusal: StepRefusal<S> };

/**
 * The decision for a step of `kind` sent at `seenVersion` with request digest `digest`, against a
 * workflow's current `version`, `stage` and remembered `applied` steps; `allowed` is the stages
 * that allow the step; `noun` names the workflow's record in the officer's message.
 */
export function precheckStep<S extends string, O>(
  state: {
    readonly version: number;
    readonly stage: S;
    readonly applied: readonly { readonly version: number; readonly digest: string; readonly outcome: O }[];
  },
  step: { readonly kind: string; readonly allowed: readonly S[] },
  seenVersion: number,
  digest: string,
  noun: string,
): Precheck<S, O> {
  if (seenVersion !== state.version) {
    const earlier = state.applied.find((a) => a.version === seenVersion);
    if (earlier !== undefined && earlier.digest === digest)
      return { kind: 'replay', outcome: earlier.outcome };
    return {
      kind: 'refused',
      refusal: {
        code: 'VERSION_CONFLICT',
        message: {
          vi: `Hồ sơ đã thay đổi (phiên bản ${state.version}); tải lại rồi thử lại.`,
          en: `The ${noun} has changed (version ${state.version}); reload it and try again.`,
        },
        expected: { version: state.version },
        stage: state.stage,
      },
    };
  }
  if (!step.allowed.includes(state.stage))
    return {
      kind: 'refused',
      refusal: {
        code: 'WRONG_STAGE',
        message: {
          vi: `Bước này không làm được ở giai đoạn "${state.stage}".`,
          en: `'${step.kind}' is not allowed at stage '${state.stage}'; it is allowed at: ${step.allowed.join(', ') || 'none'}.`,
        },
        expected: { stages: step.allowed },
        stage: state.stage,
      },
    };
  return { kind: 'proceed' };
}

/**
 * Steps of one workflow session run one at a time, in the order they came; sessions do not wait on
 * each other. A step's failure is its caller's alone: the next step of the session still runs.
 */
export class SessionQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` after the session's earlier steps; resolves or rejects as `work` does. */
  run<T>(session: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(session) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    );
    void tail.then(() => {
      if (this.#tails.get(session) === tail) this.#tails.delete(session);
    });
    this.#tails.set(session, tail);
    return run;
  }

  /** Whether the session has a step running or waiting. */
  busy(session: string): boolean {
    return this.#tails.has(session);
  }
}
