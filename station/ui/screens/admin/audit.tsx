/**
 * The audit trail: where its hash chain stands (GET /audit), and a verification of the whole log
 * on request (POST /audit/verify: what `station audit verify` checks) with its verdict in plain
 * words: intact; edited, deleted or reordered at a line; shorter than what central acknowledged; or
 * cut back before the station's own mark. A torn last line is said to be a power cut, not tampering.
 */

import { useState } from 'preact/hooks';
import { api, officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import { useStation } from './use-station.ts';

interface Anchor {
  readonly seq: number;
  readonly head: string;
}

interface Report {
  readonly intact: boolean;
  readonly entries: number;
  readonly head: Anchor;
  readonly anchor: { readonly seq: number; readonly head: string; readonly held: boolean } | null;
  readonly checkpoints: {
    readonly signed: number;
    readonly unsigned: number;
    readonly signaturesChecked: number;
    readonly signaturesUnchecked: number;
  };
  readonly verifiedMark: { readonly seq: number; readonly held: boolean } | null;
  readonly break?: { readonly kind: string; readonly line: number; readonly seq: number };
  readonly tornTail?: { readonly line: number; readonly length: number };
}

const BREAKS: Readonly<Record<string, MessageKey>> = {
  'bad-json': 'admin.audit.break.bad-json',
  malformed: 'admin.audit.break.malformed',
  edited: 'admin.audit.break.edited',
  deleted: 'admin.audit.break.deleted',
  reordered: 'admin.audit.break.reordered',
  'bad-checkpoint': 'admin.audit.break.bad-checkpoint',
  truncated: 'admin.audit.break.truncated',
  'anchor-mismatch': 'admin.audit.break.anchor-mismatch',
};

function verdict(report: Report, t: ReturnType<typeof useShared>['t']): string {
  if (report.break !== undefined) {
    const key = BREAKS[report.break.kind] ?? 'admin.audit.break.other';
    return t(key, { line: report.break.line, seq: report.break.seq, kind: report.break.kind });
  }
  if (report.verifiedMark !== null && !report.verifiedMark.held)
    return t('admin.audit.behindMark', { seq: report.verifiedMark.seq, entries: report.entries });
  return t('admin.audit.intact', { entries: report.entries });
}

export function AuditScreen() {
  const { t, lang } = useShared();
  const head = useStation<{ head: Anchor }>('/audit');
  const [report, setReport] = useState<Report | undefined>(undefined);
  const verify = useAction(async () => {
    setReport(undefined);
    setReport(await api<Report>('POST', '/audit/verify'));
    await head.reload();
  });
  return (
    <section aria-labelledby="admin-audit-title">
      <h2 id="admin-audit-title">{t('admin.audit.title')}</h2>
      <p class="note">{t('admin.audit.hint')}</p>
      <div class="card">
        {head.data === undefined ? null : (
          <p data-audit-head={head.data.head.seq}>
            {t('admin.audit.head', { seq: head.data.head.seq })}{' '}
            <code title={head.data.head.head}>{head.data.head.head.slice(0, 16)}…</code>
          </p>
        )}
        {head.error === undefined ? null : (
          <p class="form-error" role="alert">
            {officerMessage(head.error, lang)}
          </p>
        )}
        <button
          type="button"
          class="primary"
          disabled={verify.busy}
          aria-busy={verify.busy}
          onClick={() => void verify.run()}
        >
          {verify.busy ? t('admin.audit.verifying') : t('admin.audit.verify')}
        </button>
        {verify.error === undefined ? null : (
          <p class="form-error" role="alert">
            {officerMessage(verify.error, lang)}
          </p>
        )}
      </div>
      {report === undefined ? null : (
        <div
          class={`card admin-report ${report.intact ? 'admin-report-ok' : 'admin-report-bad'}`}
          data-intact={String(report.intact)}
        >
          <p class="admin-verdict" role="status">
            {verdict(report, t)}
          </p>
          <ul>
            <li>
              {report.anchor === null
                ? t('admin.audit.noAnchor')
                : report.anchor.held
                  ? t('admin.audit.anchorHeld', { seq: report.anchor.seq })
                  : t('admin.audit.anchorLost', { seq: report.anchor.seq })}
            </li>
            <li>
              {t('admin.audit.checkpoints', {
                signed: report.checkpoints.signed,
                unsigned: report.checkpoints.unsigned,
                checked: report.checkpoints.signaturesChecked,
              })}
            </li>
            {report.tornTail === undefined ? null : (
              <li>{t('admin.audit.torn', { line: report.tornTail.line, bytes: report.tornTail.length })}</li>
            )}
          </ul>
        </div>
      )}
    </section>
  );
}
