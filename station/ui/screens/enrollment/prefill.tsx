/**
 * Renewal, re-issue and correction start from what is known: the old card's chip read with its
 * access key (the CAN printed on the card, or its printed numbers), or the population database
 * looked up by the personal ID, or nothing (with the reason). The station proves the chip with
 * Passive Authentication before it takes its details.
 */
import { useState } from 'preact/hooks';
import { officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { useShared } from '../../state.ts';
import type { SendStep } from './draft.tsx';
import type { DraftView } from './model.ts';
import { problemsByField } from './problems.ts';
import { TextField } from './text-field.tsx';

/** yyyy-mm-dd (a date input) as the chip key's yymmdd. */
function yymmdd(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? date.slice(2).replaceAll('-', '') : '';
}

export function PrefillPanel({ draft, step }: { draft: DraftView; step: SendStep }) {
  const { t, lang } = useShared();
  const [keyKind, setKeyKind] = useState<'can' | 'numbers'>('can');
  const [can, setCan] = useState('');
  const [id12, setId12] = useState('');
  const [birth, setBirth] = useState('');
  const [expiry, setExpiry] = useState('');
  const [personalId, setPersonalId] = useState('');
  const [skipReason, setSkipReason] = useState('');
  const [missing, setMissing] = useState<Record<string, boolean>>({});

  const readCard = useAction(async () => {
    const empty: Record<string, boolean> =
      keyKind === 'can'
        ? { can: !/^\d{6}$/.test(can) }
        : { id12: !/^\d{12}$/.test(id12), birth: yymmdd(birth) === '', expiry: yymmdd(expiry) === '' };
    setMissing(empty);
    if (Object.values(empty).some(Boolean)) return;
    await step({
      kind: 'prefill',
      card: keyKind === 'can' ? { can } : { id12, dateOfBirth: yymmdd(birth), dateOfExpiry: yymmdd(expiry) },
    });
  });
  const lookup = useAction(async () => {
    const empty = { personalId: !/^\d{12}$/.test(personalId) };
    setMissing(empty);
    if (empty.personalId) return;
    await step({ kind: 'prefill', personalId });
  });
  const skip = useAction(async () => {
    const empty = { skipReason: skipReason.trim() === '' };
    setMissing(empty);
    if (empty.skipReason) return;
    await step({ kind: 'prefill', skipReason: skipReason.trim() });
  });
  const fieldErrors = problemsByField([readCard.error, lookup.error, skip.error], lang);
  const error = (key: string, message: string) => (missing[key] ? message : fieldErrors[key]);
  const busy = readCard.busy || lookup.busy || skip.busy;

  return (
    <div class="enr-columns">
      <section class="card" aria-labelledby="enr-card-title">
        <h2 id="enr-card-title">{t('enr.prefill.card.title')}</h2>
        <p class="note">{t('enr.prefill.card.hint')}</p>
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void readCard.run();
          }}
        >
          <fieldset class="enr-radios">
            <legend>{t('enr.prefill.card.key')}</legend>
            <label>
              <input
                type="radio"
                name="enr-key-kind"
                checked={keyKind === 'can'}
                onChange={() => setKeyKind('can')}
              />
              {t('enr.prefill.card.can')}
            </label>
            <label>
              <input
                type="radio"
                name="enr-key-kind"
                checked={keyKind === 'numbers'}
                onChange={() => setKeyKind('numbers')}
              />
              {t('enr.prefill.card.numbers')}
            </label>
          </fieldset>
          {keyKind === 'can' ? (
            <TextField
              id="enr-can"
              label={t('enr.prefill.can')}
              hint={t('enr.prefill.can.hint')}
              value={can}
              onValue={setCan}
              inputMode="numeric"
              maxLength={6}
              error={error('can', t('enr.prefill.can.invalid'))}
            />
          ) : (
            <>
              <TextField
                id="enr-card-id12"
                label={t('enr.prefill.id12')}
                value={id12}
                onValue={setId12}
                inputMode="numeric"
                maxLength={12}
                error={error('id12', t('enr.id.invalid'))}
              />
              <TextField
                id="enr-card-birth"
                type="date"
                label={t('enr.field.birthDate')}
                value={birth}
                onValue={setBirth}
                error={error('birth', t('enr.required'))}
              />
              <TextField
                id="enr-card-expiry"
                type="date"
                label={t('enr.prefill.expiry')}
                value={expiry}
                onValue={setExpiry}
                error={error('expiry', t('enr.required'))}
              />
            </>
          )}
          {readCard.error ? (
            <p class="form-error" role="alert">
              {officerMessage(readCard.error, lang)}
            </p>
          ) : null}
          <button type="submit" class="primary" disabled={busy} aria-busy={readCard.busy}>
            {readCard.busy ? t('enr.prefill.reading') : t('enr.prefill.read')}
          </button>
        </form>
      </section>
      <div>
        <section class="card" aria-labelledby="enr-lookup-title">
          <h2 id="enr-lookup-title">{t('enr.prefill.lookup.title')}</h2>
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              void lookup.run();
            }}
          >
            <TextField
              id="enr-lookup-id"
              label={t('enr.field.personalId')}
              value={personalId}
              onValue={setPersonalId}
              inputMode="numeric"
              maxLength={12}
              error={error('personalId', t('enr.id.invalid'))}
            />
            {lookup.error ? (
              <p class="form-error" role="alert">
                {officerMessage(lookup.error, lang)}
              </p>
            ) : null}
            <button type="submit" class="secondary" disabled={busy} aria-busy={lookup.busy}>
              {t('enr.prefill.lookup')}
            </button>
          </form>
        </section>
        <section class="card" aria-labelledby="enr-skip-title">
          <h2 id="enr-skip-title">{t('enr.prefill.skip.title')}</h2>
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              void skip.run();
            }}
          >
            <TextField
              id="enr-skip-reason"
              label={t('enr.prefill.skip.reason')}
              value={skipReason}
              onValue={setSkipReason}
              telex
              error={error('skipReason', t('enr.required'))}
            />
            {skip.error ? (
              <p class="form-error" role="alert">
                {officerMessage(skip.error, lang)}
              </p>
            ) : null}
            <button type="submit" class="secondary" disabled={busy} aria-busy={skip.busy}>
              {t('enr.prefill.skip')}
            </button>
          </form>
        </section>
      </div>
      <p class="note enr-wide">{t(`enr.type.${draft.type ?? 'renewal'}.hint`)}</p>
    </div>
  );
}
