/**
 * The review before signing: every field, the kept portrait, each finger's score and state, the
 * exceptions, the station's findings and what differs from the old card or the population record;
 * then the officer signs by entering the password again (POST /auth/reauth gives a one-use grant,
 * the `sign` step consumes it). The signature is the station key's, with the officer's id in it.
 */
import { useState } from 'preact/hooks';
import { api, officerMessage } from '../../api.ts';
import { useRetryWait } from '../../components/retry-wait.ts';
import { useAction } from '../../components/use-action.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { pick } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import type { SendStep } from './draft.tsx';
import { FingerList, fingerStates, HandsDrawing } from './hands.tsx';
import type { DraftView, Stage } from './model.ts';
import { KeptPortrait } from './portrait-image.tsx';
import { TextField } from './text-field.tsx';

const SHOWN_FIELDS = [
  'personalId',
  'fullName',
  'birthDate',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'placeOfOrigin',
  'placeOfBirthRegistration',
  'placeOfResidence',
  'identifyingMarks',
] as const;

/** The draft's content, as the review and the approval show it. */
export function DraftSummary({ draft }: { draft: DraftView }) {
  const { t, lang } = useShared();
  const a = draft.demographics?.applicant;
  const label = (key: string) => t(`enr.field.${key}` as MessageKey);
  const states = fingerStates(draft);
  const differences = [
    ...(draft.prefill?.differences ?? []).map((d) => ({ ...d, from: 'population' as const })),
    ...(draft.prefill?.cardDifferences ?? []).map((d) => ({ ...d, from: 'card' as const })),
  ];
  const findings = draft.checks?.findings ?? [];
  return (
    <div class="enr-review">
      <section class="card" aria-labelledby="enr-r-details">
        <h2 id="enr-r-details">{t('enr.review.details')}</h2>
        <dl class="enr-dl">
          <dt>{t('enr.review.type')}</dt>
          <dd>{draft.type === null ? '—' : t(`enr.type.${draft.type}`)}</dd>
          {a
            ? SHOWN_FIELDS.map((key) => {
                const value = a[key];
                return [
                  <dt key={`${key}-t`}>{label(key)}</dt>,
                  <dd key={`${key}-d`} data-field={key}>
                    {key === 'sex'
                      ? t(`enr.sex.${a.sex}`)
                      : value === undefined || value === ''
                        ? '—'
                        : value}
                  </dd>,
                ];
              })
            : null}
          {a?.father ? (
            <>
              <dt>{label('father.fullName')}</dt>
              <dd>{a.father.fullName}</dd>
            </>
          ) : null}
          {a?.mother ? (
            <>
              <dt>{label('mother.fullName')}</dt>
              <dd>{a.mother.fullName}</dd>
            </>
          ) : null}
          {draft.demographics?.previousCardNumber ? (
            <>
              <dt>{label('previousCardNumber')}</dt>
              <dd>{draft.demographics.previousCardNumber}</dd>
            </>
          ) : null}
        </dl>
        {differences.length > 0 ? (
          <>
            <h3>{t('enr.changes.title')}</h3>
            <table class="enr-table">
              <thead>
                <tr>
                  <th scope="col">{t('enr.changes.field')}</th>
                  <th scope="col">{t('enr.changes.was')}</th>
                  <th scope="col">{t('enr.changes.now')}</th>
                </tr>
              </thead>
              <tbody>
                {differences.map((d) => (
                  <tr key={`${d.from}-${d.field}`} data-difference={d.field}>
                    <td>
                      {label(d.field)} ({t(`enr.changes.from.${d.from}`)})
                    </td>
                    <td>{d.recorded}</td>
                    <td>{d.typed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : null}
      </section>
      <section class="card" aria-labelledby="enr-r-portrait">
        <h2 id="enr-r-portrait">{t('enr.review.portrait')}</h2>
        {draft.portrait ? (
          <>
            <KeptPortrait
              id={draft.id}
              sha256={draft.portrait.sha256}
              alt={t('enr.portrait.keptAlt')}
              width={240}
            />
            <p class="note">{t('enr.portrait.kept', { attempts: draft.portrait.attempts })}</p>
          </>
        ) : (
          <p class="form-error">{t('enr.review.noPortrait')}</p>
        )}
      </section>
      <section class="card enr-wide" aria-labelledby="enr-r-prints">
        <h2 id="enr-r-prints">{t('enr.review.prints')}</h2>
        <div class="enr-columns">
          <HandsDrawing states={states} label={t('enr.prints.handsAlt')} />
          <FingerList states={states} />
        </div>
        <p>
          {draft.slaps
            .map((s) =>
              t('enr.review.slap', {
                hand: t(`enr.hand.${s.hand}`),
                attempts: s.attempts,
                score: s.minScore,
              }),
            )
            .join(' · ')}
        </p>
        {draft.exceptions.length > 0 ? (
          <ul class="enr-exceptions">
            {draft.exceptions.map((e) => (
              <li key={e.position}>
                {t('enr.review.exception', {
                  finger: t(`enr.finger.${e.position}` as MessageKey),
                  reason: t(`enr.reason.${e.reason}`),
                  note: e.note ?? '',
                  officer: e.confirmedBy,
                })}
              </li>
            ))}
          </ul>
        ) : null}
        <h3>{t('enr.review.findings')}</h3>
        {findings.length === 0 ? (
          <p class="enr-ok" data-findings="0">
            {t('enr.review.noFindings')}
          </p>
        ) : (
          <ul data-findings={findings.length}>
            {findings.map((f) => (
              <li key={f.code}>{pick(f.message, lang)}</li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

export function ReviewPanel({
  draft,
  step,
  revisit,
}: {
  draft: DraftView;
  step: SendStep;
  revisit: (stage: Stage) => void;
}) {
  const { t, lang } = useShared();
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  // After a wrong password the station asks to wait: the button waits as long, counting down.
  const wait = useRetryWait();
  const waitSeconds = wait.seconds;
  const sign = useAction(async () => {
    if (password === '') {
      setMissing(true);
      return;
    }
    setMissing(false);
    let grant: { grantId: string };
    try {
      grant = await api<{ grantId: string }>('POST', '/auth/reauth', { password });
    } catch (error) {
      wait.note(error);
      throw error;
    } finally {
      setPassword('');
    }
    await step({ kind: 'sign', grant: grant.grantId });
  });
  return (
    <>
      <DraftSummary draft={draft} />
      <div class="enr-actions enr-wrap">
        <button type="button" class="secondary" onClick={() => revisit('demographics')}>
          {t('enr.review.editDetails')}
        </button>
        <button type="button" class="secondary" onClick={() => revisit('portrait')}>
          {t('enr.review.retakePortrait')}
        </button>
        <button type="button" class="secondary" onClick={() => revisit('fingerprints')}>
          {t('enr.review.redoPrints')}
        </button>
      </div>
      <form
        class="card enr-sign"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void sign.run();
        }}
      >
        <h2>{t('enr.sign.title')}</h2>
        <p>{t('enr.sign.hint')}</p>
        <TextField
          id="enr-sign-password"
          type="password"
          label={t('enr.sign.password')}
          value={password}
          onValue={setPassword}
          autoComplete="current-password"
          error={missing ? t('enr.required') : undefined}
        />
        {sign.error ? (
          <p class="form-error" role="alert">
            {officerMessage(sign.error, lang)}
          </p>
        ) : null}
        {waitSeconds > 0 ? (
          <p class="note" role="status">
            {t('signin.wait', { seconds: waitSeconds })}
          </p>
        ) : null}
        <button
          type="submit"
          class="primary enr-big"
          disabled={sign.busy || waitSeconds > 0}
          aria-busy={sign.busy}
        >
          {sign.busy ? t('enr.sign.busy') : t('enr.sign.submit')}
        </button>
      </form>
    </>
  );
}
