/**
 * One enrollment, from its type to the queued packet: the progress bar, the panel of the stage the
 * draft is in (or one the officer went back to), and abandoning. The server holds the state; every
 * step carries the version shown, so a double click or a retried request never acts twice, and a
 * refresh or a station restart comes back to the same place.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { useShared } from '../../state.ts';
import { DemographicsPanel, telexRemembered } from './demographics.tsx';
import { Dialog } from './dialog.tsx';
import { FingerprintsPanel } from './fingerprints.tsx';
import {
  type DraftView,
  loadDraft,
  type Stage,
  type StepAnswer,
  type StepBody,
  sendStep,
  stageIndex,
} from './model.ts';
import { PortraitPanel } from './portrait.tsx';
import { PrefillPanel } from './prefill.tsx';
import { ReviewPanel } from './review.tsx';
import { ApprovalPanel, QueuedPanel } from './submit.tsx';
import { TextField } from './text-field.tsx';
import { TypePanel } from './type.tsx';

/** Sends one step of the shown draft; resolves to the station's answer (the draft already updated). */
export type SendStep = (step: StepBody) => Promise<StepAnswer>;

/** How often a draft waiting for a supervisor's approval is asked again, ms. */
const APPROVAL_POLL_MS = 1500;

/** Stages the officer may go back to from a later one (the machine allows their steps there). */
const REVISIT: Readonly<Partial<Record<Stage, readonly Stage[]>>> = {
  demographics: ['portrait', 'fingerprints', 'review'],
  portrait: ['fingerprints', 'review'],
  fingerprints: ['review'],
};

export function DraftScreen({ id }: { id: string }) {
  const { t, lang } = useShared();
  const [draft, setDraft] = useState<DraftView | undefined>(undefined);
  const [closed, setClosed] = useState<{ packetId?: string; queued: boolean } | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [view, setView] = useState<Stage | undefined>(undefined);
  const [abandoning, setAbandoning] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  const reload = useCallback(async () => {
    try {
      setDraft(await loadDraft(id));
      setFailure(undefined);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'DRAFT_NOT_FOUND') setClosed({ queued: false });
      else setFailure(error);
    }
  }, [id]);
  useEffect(() => {
    void reload();
  }, [reload]);

  // Waiting for a supervisor who approves on another screen: look again until the stage moves.
  const waiting = draft?.stage === 'signed' && draft.approvalRules.length > 0;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void reload(), APPROVAL_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  const latest = useRef(draft);
  latest.current = draft;
  const step: SendStep = useCallback(
    async (body) => {
      const shown = latest.current;
      if (shown === undefined) throw new Error('no draft shown');
      try {
        const answer = await sendStep(id, shown.version, body);
        if (answer.outcome.stage === 'queued') setClosed({ packetId: shown.packetId, queued: true });
        else if (answer.outcome.stage === 'abandoned') location.hash = '#/enrollment';
        else if (answer.draft !== undefined) setDraft(answer.draft);
        else await reload();
        setView(undefined);
        return answer;
      } catch (error) {
        // Someone else moved the draft (a supervisor, another tab): show what it is now.
        if (error instanceof ApiError && (error.code === 'VERSION_CONFLICT' || error.code === 'WRONG_STAGE'))
          await reload();
        throw error;
      }
    },
    [id, reload],
  );

  // The heading takes the focus when the panel changes, so a screen reader hears the new step.
  const shownStage = view ?? draft?.stage;
  useEffect(() => {
    heading.current?.focus();
  }, [shownStage, closed]);

  const abandon = useAction(async (reason: string) => {
    await step({ kind: 'abandon', reason });
  });

  if (closed !== undefined)
    return (
      <main id="main" class="screen enr">
        <h1 tabIndex={-1} ref={heading}>
          {closed.queued ? t('enr.done.title') : t('enr.closed.title')}
        </h1>
        <QueuedPanel id={id} packetId={closed.packetId} queued={closed.queued} />
      </main>
    );
  if (draft === undefined)
    return (
      <main id="main" class="screen enr">
        <h1 tabIndex={-1} ref={heading}>
          {t('enr.draft.title')}
        </h1>
        {failure ? (
          <>
            <p class="form-error" role="alert">
              {officerMessage(failure, lang)}
            </p>
            <button type="button" class="secondary" onClick={() => void reload()}>
              {t('enr.retry')}
            </button>
          </>
        ) : (
          <p class="note" role="status">
            {t('enr.loading')}
          </p>
        )}
      </main>
    );

  const stage = shownStage ?? draft.stage;
  const stages: Stage[] = [
    'type',
    ...(draft.type !== null && draft.type !== 'first-issue' ? (['prefill'] as const) : []),
    'demographics',
    'portrait',
    'fingerprints',
    'review',
    'signed',
    ...(draft.approvalRules.length > 0 ? (['approved'] as const) : []),
  ];
  const panel = (() => {
    switch (stage) {
      case 'type':
        return <TypePanel step={step} />;
      case 'prefill':
        return <PrefillPanel draft={draft} step={step} />;
      case 'demographics':
        return <DemographicsPanel draft={draft} step={step} />;
      case 'portrait':
        return <PortraitPanel draft={draft} step={step} />;
      case 'fingerprints':
        return <FingerprintsPanel draft={draft} step={step} />;
      case 'review':
        return <ReviewPanel draft={draft} step={step} revisit={setView} />;
      case 'signed':
      case 'approved':
        return <ApprovalPanel draft={draft} step={step} reload={reload} />;
      default:
        return null;
    }
  })();
  return (
    <main id="main" class="screen enr" data-stage={draft.stage} data-version={draft.version}>
      <div class="enr-head">
        <h1 tabIndex={-1} ref={heading}>
          {t(`enr.stage.${stage}`)}
          {draft.demographics ? (
            <span class="enr-who"> · {draft.demographics.applicant.fullName}</span>
          ) : null}
        </h1>
        <div class="enr-head-actions">
          <a class="enr-link-button" href="#/enrollment">
            {t('enr.toQueue')}
          </a>
          {draft.stage !== 'queued' ? (
            <button type="button" class="secondary" onClick={() => setAbandoning(true)}>
              {t('enr.abandon.open')}
            </button>
          ) : null}
        </div>
      </div>
      <nav aria-label={t('enr.progress')}>
        <ol class="enr-steps">
          {stages.map((s) => {
            const done = stageIndex(s) < stageIndex(draft.stage);
            const current = s === stage;
            const canRevisit =
              (REVISIT[s] ?? []).includes(draft.stage) || (s === draft.stage && view !== undefined);
            const label = t(`enr.stage.${s}`);
            return (
              <li
                key={s}
                class={`enr-step${done ? ' enr-step-done' : ''}${current ? ' enr-step-current' : ''}`}
                aria-current={current ? 'step' : undefined}
              >
                {canRevisit && !current ? (
                  <button type="button" onClick={() => setView(s === draft.stage ? undefined : s)}>
                    {label}
                  </button>
                ) : (
                  <span>{label}</span>
                )}
              </li>
            );
          })}
        </ol>
      </nav>
      {view !== undefined && view !== draft.stage ? (
        <p class="enr-revisit" role="status">
          {t('enr.revisiting')}{' '}
          <button type="button" class="enr-inline" onClick={() => setView(undefined)}>
            {t('enr.backTo', { stage: t(`enr.stage.${draft.stage}`) })}
          </button>
        </p>
      ) : null}
      {panel}
      {abandoning ? (
        <AbandonDialog
          busy={abandon.busy}
          error={abandon.error ? officerMessage(abandon.error, lang) : undefined}
          onCancel={() => {
            abandon.clearError();
            setAbandoning(false);
          }}
          onConfirm={(reason) => void abandon.run(reason)}
        />
      ) : null}
    </main>
  );
}

function AbandonDialog(props: {
  busy: boolean;
  error: string | undefined;
  onCancel: () => void;
  onConfirm: (reason: string) => void;
}) {
  const { t } = useShared();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  return (
    <Dialog title={t('enr.abandon.title')} onCancel={props.onCancel}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (reason.trim() === '') {
            setMissing(true);
            return;
          }
          props.onConfirm(reason.trim());
        }}
      >
        <p>{t('enr.abandon.hint')}</p>
        <TextField
          id="enr-abandon-reason"
          label={t('enr.abandon.reason')}
          value={reason}
          onValue={setReason}
          telex={telexRemembered()}
          error={missing ? t('enr.required') : undefined}
        />
        {props.error ? (
          <p class="form-error" role="alert">
            {props.error}
          </p>
        ) : null}
        <div class="enr-actions">
          <button type="button" class="secondary" onClick={props.onCancel}>
            {t('enr.cancel')}
          </button>
          <button type="submit" class="primary enr-danger" disabled={props.busy} aria-busy={props.busy}>
            {t('enr.abandon.confirm')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
