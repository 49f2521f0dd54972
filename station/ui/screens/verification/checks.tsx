/** The checks of a verification as a list the notary reads at a glance: each with its outcome in words. */
import type { Bilingual } from '../../api.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { pick } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import type { CardRead, StatusResult } from './api.ts';

export type Outcome = 'pending' | 'running' | 'passed' | 'failed' | 'notChecked';

export interface Check {
  readonly id: string;
  readonly label: MessageKey;
  readonly outcome: Outcome;
  /** What the outcome says beyond the word (a method, a status, the station's message). */
  readonly detail?: string | undefined;
}

const PASSED_AUTH = new Set(['passed']);
const NOT_CHECKED_AUTH = new Set(['not-offered', 'not-checked']);

function authOutcome(status: string | undefined): Outcome {
  if (status === undefined || NOT_CHECKED_AUTH.has(status)) return 'notChecked';
  return PASSED_AUTH.has(status) ? 'passed' : 'failed';
}

function paOutcome(verdict: string): Outcome {
  if (verdict === 'valid') return 'passed';
  if (verdict === 'not-checked') return 'notChecked';
  return 'failed';
}

/** The card's checks: pending, running while the card is read, then each outcome. */
export function cardChecks(
  phase: 'idle' | 'reading' | 'status' | 'done',
  read: CardRead | undefined,
  status: StatusResult | undefined,
  lang: 'vi' | 'en',
  t: (key: MessageKey) => string,
): Check[] {
  const chipState: Outcome = phase === 'reading' ? 'running' : 'pending';
  const message = (m: Bilingual | undefined) => (m === undefined ? undefined : pick(m, lang));
  const statusCheck: Check =
    status === undefined
      ? { id: 'status', label: 'ver.progress.status', outcome: phase === 'status' ? 'running' : 'pending' }
      : status.checked
        ? {
            id: 'status',
            label: 'ver.progress.status',
            outcome: status.status === 'valid' ? 'passed' : 'failed',
            detail: t(`ver.status.${status.status}` as MessageKey),
          }
        : {
            id: 'status',
            label: 'ver.progress.status',
            outcome: 'notChecked',
            detail: pick(status.message, lang),
          };
  if (read === undefined)
    return [
      { id: 'access', label: 'ver.progress.access', outcome: chipState },
      { id: 'pa', label: 'ver.progress.pa', outcome: chipState },
      { id: 'ca', label: 'ver.progress.ca', outcome: chipState },
      { id: 'aa', label: 'ver.progress.aa', outcome: chipState },
      statusCheck,
    ];
  return [
    { id: 'access', label: 'ver.progress.access', outcome: 'passed', detail: read.accessMethod },
    {
      id: 'pa',
      label: 'ver.progress.pa',
      outcome: paOutcome(read.passiveAuthentication.verdict),
      detail: message(read.passiveAuthentication.message),
    },
    {
      id: 'ca',
      label: 'ver.progress.ca',
      outcome: authOutcome(read.chip.chipAuthentication?.status),
    },
    {
      id: 'aa',
      label: 'ver.progress.aa',
      outcome: authOutcome(read.chip.activeAuthentication?.status),
      detail: message(read.chip.message),
    },
    statusCheck,
  ];
}

const SYMBOL: Readonly<Record<Outcome, string>> = {
  pending: '○',
  running: '…',
  passed: '✓',
  failed: '✗',
  notChecked: '–',
};

export function CheckList({ checks, title }: { checks: readonly Check[]; title: string }) {
  const { t } = useShared();
  return (
    <section class="card ver-checks" aria-label={title}>
      <h2>{title}</h2>
      <ul>
        {checks.map((check) => (
          <li key={check.id} class={`ver-check ver-check-${check.outcome}`} data-check={check.id}>
            <span class="ver-check-mark" aria-hidden="true">
              {SYMBOL[check.outcome]}
            </span>
            <span class="ver-check-label">{t(check.label)}</span>
            <span class="ver-check-outcome" data-outcome={check.outcome}>
              {t(`ver.progress.${check.outcome}` as MessageKey)}
            </span>
            {check.detail ? <span class="ver-check-detail">{check.detail}</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
