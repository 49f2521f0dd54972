/**
 * After signing: a supervisor's approval where a rule asks for it (finger exceptions, low quality, a
 * correction), given by another account for the digest that was signed (the supervisor opens the
 * same draft on their own screen, the officer's screen follows); then the packet is sealed into the
 * outbox; then the citizen's receipt (a PDF the kiosk prints) and the packet's upload.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { useShared } from '../../state.ts';
import type { SendStep } from './draft.tsx';
import type { DraftView } from './model.ts';
import { DraftSummary } from './review.tsx';
import { useShortcut } from './shortcuts.ts';

/** How often the done screen asks for the packet's upload state, ms. */
const OUTBOX_POLL_MS = 1500;

export function ApprovalPanel({
  draft,
  step,
  reload,
}: {
  draft: DraftView;
  step: SendStep;
  reload: () => Promise<void>;
}) {
  const { t, lang, session } = useShared();
  const needsApproval = draft.approvalRules.length > 0 && draft.approval === null;
  const me = session?.account;
  const canApprove =
    needsApproval && me?.roles.includes('supervisor') === true && draft.signature?.officerId !== me.id;
  const approve = useAction(async () => {
    await step({ kind: 'approve', digest: draft.digest });
  });
  const submit = useAction(async () => {
    await step({ kind: 'submit' });
  });
  useShortcut('s', () => void submit.run(), !needsApproval);
  const error = approve.error ?? submit.error;
  return (
    <>
      <section class="card" aria-labelledby="enr-signed-title">
        <h2 id="enr-signed-title">{t('enr.signed.title')}</h2>
        {draft.signature ? (
          <p>
            {t('enr.signed.by', {
              officer: draft.signature.officerId,
              time: new Date(draft.signature.at).toLocaleTimeString(lang),
            })}
          </p>
        ) : null}
        {draft.approvalRules.length > 0 ? (
          <div
            class={needsApproval ? 'enr-approval enr-approval-wait' : 'enr-approval'}
            data-approval={needsApproval ? 'needed' : 'given'}
          >
            <p>
              {t('enr.approval.rules', {
                rules: draft.approvalRules.map((r) => t(`enr.rule.${r as 'finger-exception'}`)).join(', '),
              })}
            </p>
            {draft.approval ? (
              <p class="enr-ok">{t('enr.approval.given', { supervisor: draft.approval.supervisorId })}</p>
            ) : canApprove ? (
              <>
                <p>{t('enr.approval.check', { digest: draft.digest.slice(0, 16) })}</p>
                <button
                  type="button"
                  class="primary enr-big"
                  disabled={approve.busy}
                  aria-busy={approve.busy}
                  onClick={() => void approve.run()}
                >
                  {t('enr.approval.approve')}
                </button>
              </>
            ) : (
              <>
                <p role="status">{t('enr.approval.waiting')}</p>
                <button type="button" class="secondary" onClick={() => void reload()}>
                  {t('enr.approval.refresh')}
                </button>
              </>
            )}
          </div>
        ) : null}
        {error ? (
          <p class="form-error" role="alert">
            {officerMessage(error, lang)}
          </p>
        ) : null}
        {!needsApproval ? (
          <button
            type="button"
            class="primary enr-big"
            disabled={submit.busy}
            aria-busy={submit.busy}
            aria-keyshortcuts="Alt+S"
            onClick={() => void submit.run()}
          >
            {submit.busy ? t('enr.submit.busy') : t('enr.submit')}
          </button>
        ) : null}
      </section>
      <DraftSummary draft={draft} />
    </>
  );
}

const UPLOAD_STATES = new Set(['queued', 'uploading', 'acknowledged', 'dead-letter']);

/** GET /outbox/:packetId: the entry (its state) and, once acknowledged, central's receipt. */
interface OutboxPacket {
  readonly entry: { readonly packetId: string; readonly state: string };
}

/** The queued enrollment (or one closed elsewhere): the receipt to print and the packet's upload. */
export function QueuedPanel({
  id,
  packetId,
  queued,
}: {
  id: string;
  packetId: string | undefined;
  queued: boolean;
}) {
  const { t, lang } = useShared();
  const [state, setState] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);
  useEffect(() => {
    if (packetId === undefined) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const packet = await api<OutboxPacket>('GET', `/outbox/${packetId}`);
        setState(packet.entry.state);
        setFailure(undefined);
        if (packet.entry.state === 'acknowledged') return;
      } catch (error) {
        setFailure(error);
      }
      if (!stopped) timer = setTimeout(poll, OUTBOX_POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [packetId]);
  const receipt = `/enrollments/${id}/receipt`;
  return (
    <section class="card" aria-labelledby="enr-done-title">
      <h2 id="enr-done-title">{queued ? t('enr.done.queued') : t('enr.closed.hint')}</h2>
      {packetId ? (
        <p>
          {t('enr.done.packet')} <code data-packet={packetId}>{packetId}</code>
        </p>
      ) : null}
      {state ? (
        <p class={state === 'acknowledged' ? 'enr-ok' : ''} role="status" data-upload={state}>
          {UPLOAD_STATES.has(state) ? t(`enr.upload.${state as 'queued'}`) : state}
        </p>
      ) : null}
      {failure ? <p class="note">{officerMessage(failure, lang)}</p> : null}
      <p>{t('enr.done.receiptHint')}</p>
      <div class="enr-actions enr-wrap">
        <a
          class="enr-link-button enr-primary-link"
          href={receipt}
          target="_blank"
          rel="noopener"
          data-receipt={receipt}
        >
          {t('enr.done.receipt')}
        </a>
        <a class="enr-link-button" href="#/enrollment">
          {t('enr.done.next')}
        </a>
      </div>
    </section>
  );
}
