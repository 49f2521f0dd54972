/**
 * Fingerprints 4-4-2: the right four, the left four and the two thumbs, each a slap on the scanner
 * with the live preview and its quality; each finger's state on the drawn hands; a recapture keeps
 * the best attempt (the station decides, by the weakest finger); a finger that cannot be printed is
 * declared with its reason and the officer's confirmation; then the station-side checks (the same
 * hand twice, a finger twice, swapped hands) before the review.
 */
import { useState } from 'preact/hooks';
import type { Bilingual } from '../../api.ts';
import { officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { pick } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import { Dialog } from './dialog.tsx';
import type { SendStep } from './draft.tsx';
import { FingerList, type FingerState, fingerStates, HandsDrawing } from './hands.tsx';
import { type DraftView, type ExceptionReason, HAND_POSITIONS, HANDS, type Hand } from './model.ts';
import { useShortcuts } from './shortcuts.ts';
import { useScannerLive } from './streams.ts';

const MAX_ATTEMPTS = 3;
const REASONS: readonly ExceptionReason[] = ['amputated', 'bandaged', 'unable-to-print', 'other'];

export function FingerprintsPanel({ draft, step }: { draft: DraftView; step: SendStep }) {
  const { t, lang, health } = useShared();
  const scannerId = health?.devices?.find((d) => d.family === 'fingerprint-hid')?.id;
  const live = useScannerLive(scannerId);
  const [capturing, setCapturing] = useState<Hand | undefined>(undefined);
  const [note, setNote] = useState<Bilingual | undefined>(undefined);
  const [exceptionFor, setExceptionFor] = useState<number | undefined>(undefined);
  const states = fingerStates(draft);

  const capture = useAction(async (hand: Hand) => {
    setNote(undefined);
    setCapturing(hand);
    try {
      const answer = await step({ kind: 'capture-slap', hand });
      setNote(answer.outcome.note);
    } finally {
      setCapturing(undefined);
    }
  });
  const withdraw = useAction(async (position: number) => {
    await step({ kind: 'withdraw-exception', position });
  });
  const checks = useAction(async () => {
    await step({ kind: 'run-checks' });
  });
  useShortcuts({
    '1': () => void capture.run('right'),
    '2': () => void capture.run('left'),
    '3': () => void capture.run('thumbs'),
    k: () => void checks.run(),
  });

  const excepted = new Set(draft.exceptions.map((e) => e.position));
  const complete = HANDS.every(
    (h) => draft.slaps.some((s) => s.hand === h) || HAND_POSITIONS[h].every((p) => excepted.has(p)),
  );
  const findings = draft.checks?.findings ?? [];
  const stale = draft.checks !== null && draft.checks.attempts !== attemptsKey(draft);
  const error = capture.error ?? withdraw.error ?? checks.error;

  return (
    <div class="enr-prints">
      <section class="card enr-scanner" aria-labelledby="enr-scanner-title">
        <h2 id="enr-scanner-title">{t('enr.prints.live')}</h2>
        <div class="enr-preview" data-preview-frames={live.frames} data-preview-fps={live.fps.toFixed(1)}>
          {live.frame && capturing !== undefined ? (
            <img src={live.frame} alt={t('enr.prints.previewAlt')} width={240} height={240} />
          ) : (
            <p class="note">
              {capturing ? t('enr.prints.place', { hand: t(`enr.hand.${capturing}`) }) : t('enr.prints.idle')}
            </p>
          )}
        </div>
        <div class="enr-meter" aria-hidden="true">
          <span
            class={`enr-meter-fill${(live.quality ?? 0) >= 40 ? ' enr-meter-ok' : ''}`}
            style={{ width: `${Math.round(Math.min(100, Math.max(0, live.quality ?? 0)))}%` }}
          />
        </div>
        <p class="enr-advice" role="status" aria-live="polite">
          {capturing === undefined
            ? ''
            : live.advice
              ? pick(live.advice, lang)
              : live.status
                ? t(`enr.prints.status.${live.status as 'capturing'}`)
                : ''}
        </p>
        <p class="note">
          {t('enr.prints.quality', {
            quality: live.quality === undefined ? '—' : Math.round(live.quality),
            fps: live.fps.toFixed(1),
          })}
        </p>
      </section>
      <section class="card enr-capture" aria-labelledby="enr-capture-title">
        <h2 id="enr-capture-title">{t('enr.prints.title')}</h2>
        <ul class="enr-hand-buttons">
          {HANDS.map((hand, i) => {
            const slap = draft.slaps.find((s) => s.hand === hand);
            const allExcepted = HAND_POSITIONS[hand].every((p) => excepted.has(p));
            return (
              <li key={hand} data-hand={hand} data-attempts={slap?.attempts ?? 0}>
                <button
                  type="button"
                  class={slap ? 'secondary' : 'primary'}
                  disabled={capture.busy || allExcepted}
                  aria-busy={capturing === hand}
                  aria-keyshortcuts={`Alt+${i + 1}`}
                  onClick={() => void capture.run(hand)}
                >
                  {capturing === hand
                    ? t('enr.prints.capturing')
                    : slap
                      ? t('enr.prints.recapture', { hand: t(`enr.hand.${hand}`) })
                      : t('enr.prints.capture', { hand: t(`enr.hand.${hand}`) })}
                </button>
                <span class="enr-attempts">
                  {slap
                    ? t('enr.prints.attempts', {
                        attempts: slap.attempts,
                        max: MAX_ATTEMPTS,
                        score: slap.minScore,
                      })
                    : allExcepted
                      ? t('enr.prints.allExcepted')
                      : t('enr.prints.notYet')}
                </span>
              </li>
            );
          })}
        </ul>
        {note ? (
          <p class="enr-note" role="status">
            {pick(note, lang)}
          </p>
        ) : null}
        {error ? (
          <p class="form-error" role="alert">
            {officerMessage(error, lang)}
          </p>
        ) : null}
        {findings.length > 0 && !stale ? (
          <div class="enr-findings" role="alert">
            <h3>{t('enr.checks.found')}</h3>
            <ul>
              {findings.map((f) => (
                <li key={f.code} data-finding={f.code}>
                  {pick(f.message, lang)}{' '}
                  {f.hands.length > 0
                    ? t('enr.checks.recapture', { hands: f.hands.map((h) => t(`enr.hand.${h}`)).join(', ') })
                    : null}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <button
          type="button"
          class="primary enr-big"
          disabled={!complete || checks.busy || capture.busy}
          aria-busy={checks.busy}
          aria-keyshortcuts="Alt+K"
          onClick={() => void checks.run()}
        >
          {checks.busy ? t('enr.checks.running') : t('enr.checks.run')}
        </button>
        {!complete ? <p class="note">{t('enr.checks.needAll')}</p> : null}
      </section>
      <section class="card enr-hands-card" aria-labelledby="enr-hands-title">
        <h2 id="enr-hands-title">{t('enr.prints.hands')}</h2>
        <HandsDrawing states={states} label={t('enr.prints.handsAlt')} />
        <FingerList
          states={states}
          action={(position, state: FingerState) =>
            state.kind === 'exception' ? (
              <button
                type="button"
                class="secondary enr-small"
                disabled={withdraw.busy}
                onClick={() => void withdraw.run(position)}
              >
                {t('enr.exception.withdraw')}
              </button>
            ) : (
              <button type="button" class="secondary enr-small" onClick={() => setExceptionFor(position)}>
                {t('enr.exception.declare')}
              </button>
            )
          }
        />
        <p class="note">{t('enr.shortcuts.prints')}</p>
      </section>
      {exceptionFor !== undefined ? (
        <ExceptionDialog position={exceptionFor} step={step} onClose={() => setExceptionFor(undefined)} />
      ) : null}
    </div>
  );
}

/** The machine's key of the slap attempts a set check ran on (machine.ts attemptsKey). */
function attemptsKey(draft: DraftView): string {
  return HANDS.map((h) => `${h}:${draft.slaps.find((s) => s.hand === h)?.attempts ?? 0}`).join(',');
}

function ExceptionDialog({
  position,
  step,
  onClose,
}: {
  position: number;
  step: SendStep;
  onClose: () => void;
}) {
  const { t, lang } = useShared();
  const [reason, setReason] = useState<ExceptionReason | undefined>(undefined);
  const [note, setNote] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [missing, setMissing] = useState<{ reason?: boolean; confirmed?: boolean; note?: boolean }>({});
  const finger = t(`enr.finger.${position}` as `enr.finger.${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`);
  const declare = useAction(async () => {
    const empty = {
      reason: reason === undefined,
      confirmed: !confirmed,
      note: reason === 'other' && note.trim() === '',
    };
    setMissing(empty);
    if (empty.reason || empty.confirmed || empty.note || reason === undefined) return;
    await step({
      kind: 'exception',
      position,
      reason,
      confirmed: true,
      ...(note.trim() === '' ? {} : { note: note.trim().normalize('NFC') }),
    });
    onClose();
  });
  return (
    <Dialog title={t('enr.exception.title', { finger })} onCancel={onClose}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void declare.run();
        }}
      >
        <fieldset
          class={`enr-radios${missing.reason ? ' field-invalid' : ''}`}
          aria-describedby={missing.reason ? 'enr-reason-error' : undefined}
        >
          <legend>{t('enr.exception.reason')}</legend>
          {REASONS.map((r) => (
            <label key={r}>
              <input
                type="radio"
                name="enr-reason"
                value={r}
                checked={reason === r}
                onChange={() => setReason(r)}
              />
              {t(`enr.reason.${r}`)}
            </label>
          ))}
          {missing.reason ? (
            <p id="enr-reason-error" class="field-error">
              {t('enr.exception.reasonMissing')}
            </p>
          ) : null}
        </fieldset>
        <div class={`field${missing.note ? ' field-invalid' : ''}`}>
          <label for="enr-exception-note">{t('enr.exception.note')}</label>
          <input
            id="enr-exception-note"
            value={note}
            aria-invalid={missing.note ? 'true' : 'false'}
            aria-describedby={missing.note ? 'enr-exception-note-error' : undefined}
            onInput={(e) => setNote((e.currentTarget as HTMLInputElement).value)}
          />
          {missing.note ? (
            <p id="enr-exception-note-error" class="field-error">
              {t('enr.required')}
            </p>
          ) : null}
        </div>
        <label class={`enr-toggle${missing.confirmed ? ' field-invalid' : ''}`}>
          <input
            type="checkbox"
            checked={confirmed}
            aria-describedby={missing.confirmed ? 'enr-confirm-error' : undefined}
            onChange={(e) => setConfirmed((e.currentTarget as HTMLInputElement).checked)}
          />
          {t('enr.exception.confirm', { finger })}
        </label>
        {missing.confirmed ? (
          <p id="enr-confirm-error" class="field-error">
            {t('enr.exception.confirmMissing')}
          </p>
        ) : null}
        {declare.error ? (
          <p class="form-error" role="alert">
            {officerMessage(declare.error, lang)}
          </p>
        ) : null}
        <div class="enr-actions">
          <button type="button" class="secondary" onClick={onClose}>
            {t('enr.cancel')}
          </button>
          <button type="submit" class="primary" disabled={declare.busy} aria-busy={declare.busy}>
            {t('enr.exception.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
