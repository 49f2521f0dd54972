/**
 * The applicant's details, checked by the station field by field (422 DEMOGRAPHICS_INVALID with
 * each field's problem, shown under the field in the officer's language). Vietnamese text is
 * accepted as typed, precomposed or not, and sent in NFC; Telex typing helps where the kiosk has no
 * input method. For a renewal the form starts from the old card or the population record, and what
 * the officer changes from them is listed as it is typed.
 */
import { useMemo, useState } from 'preact/hooks';
import { officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import type { SendStep } from './draft.tsx';
import type { DraftView } from './model.ts';
import { problemsByField } from './problems.ts';
import { TextField } from './text-field.tsx';

/** The form's text fields in screen order, with whether they take Vietnamese text. */
const TEXT_FIELDS: readonly { key: string; telex: boolean; required: boolean; numeric?: boolean }[] = [
  { key: 'personalId', telex: false, required: true, numeric: true },
  { key: 'fullName', telex: true, required: true },
  { key: 'nationality', telex: true, required: true },
  { key: 'ethnicity', telex: true, required: true },
  { key: 'religion', telex: true, required: true },
  { key: 'placeOfOrigin', telex: true, required: true },
  { key: 'placeOfBirthRegistration', telex: true, required: true },
  { key: 'placeOfResidence', telex: true, required: true },
  { key: 'identifyingMarks', telex: true, required: false },
  { key: 'father.fullName', telex: true, required: false },
  { key: 'mother.fullName', telex: true, required: false },
  { key: 'formerIdNumber', telex: false, required: false, numeric: true },
];

/** The fields a correction may change (demographics.ts's CORRECTABLE_FIELDS). */
const CORRECTABLE = [
  'fullName',
  'birthDate',
  'sex',
  'placeOfOrigin',
  'placeOfBirthRegistration',
  'placeOfResidence',
  'ethnicity',
  'religion',
  'nationality',
] as const;

const TELEX_KEY = 'cccd-station.telex';

/** Whether the officer left Telex typing on (the default) on this browser. */
export function telexRemembered(): boolean {
  try {
    return globalThis.localStorage?.getItem(TELEX_KEY) !== 'off';
  } catch {
    return true;
  }
}

type Form = Record<string, string>;

function initialForm(draft: DraftView): Form {
  const typed = draft.demographics;
  const record = draft.prefill?.record ?? {};
  if (typed !== null) {
    const a = typed.applicant;
    return {
      personalId: a.personalId,
      fullName: a.fullName,
      birthDate: a.birthDate,
      sex: a.sex,
      nationality: a.nationality,
      ethnicity: a.ethnicity,
      religion: a.religion,
      placeOfOrigin: a.placeOfOrigin,
      placeOfBirthRegistration: a.placeOfBirthRegistration,
      placeOfResidence: a.placeOfResidence,
      identifyingMarks: a.identifyingMarks ?? '',
      'father.fullName': a.father?.fullName ?? '',
      'mother.fullName': a.mother?.fullName ?? '',
      formerIdNumber: typed.formerIdNumber ?? '',
      previousCardNumber: typed.previousCardNumber ?? '',
      'correction.document': typed.correction?.document ?? '',
      'correction.fields': (typed.correction?.fields ?? []).join(','),
    };
  }
  return {
    personalId: record.personalId ?? draft.prefill?.cardNumber ?? '',
    fullName: record.fullName ?? '',
    birthDate: record.birthDate ?? '',
    sex: record.sex ?? '',
    nationality: record.nationality ?? 'Việt Nam',
    ethnicity: record.ethnicity ?? '',
    religion: record.religion ?? '',
    placeOfOrigin: record.placeOfOrigin ?? '',
    placeOfBirthRegistration: record.placeOfBirthRegistration ?? '',
    placeOfResidence: record.placeOfResidence ?? '',
    identifyingMarks: record.identifyingMarks ?? '',
    'father.fullName': record.fatherName ?? '',
    'mother.fullName': record.motherName ?? '',
    formerIdNumber: '',
    previousCardNumber: draft.type === 'renewal' ? (draft.prefill?.cardNumber ?? '') : '',
    'correction.document': '',
    'correction.fields': '',
  };
}

/** Years from `birth` (yyyy-mm-dd) to today, or undefined for no date. */
function ageOf(birth: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth);
  if (m === null) return undefined;
  const now = new Date();
  let age = now.getFullYear() - Number(m[1]);
  if (
    now.getMonth() + 1 < Number(m[2]) ||
    (now.getMonth() + 1 === Number(m[2]) && now.getDate() < Number(m[3]))
  )
    age -= 1;
  return age;
}

/** The form as the station's `demographics` step takes it: optional parts only when filled. */
function inputOf(form: Form, type: DraftView['type']): Record<string, unknown> {
  const value = (key: string) => (form[key] ?? '').normalize('NFC').trim();
  const relative = (key: 'father' | 'mother') =>
    value(`${key}.fullName`) === '' ? {} : { [key]: { fullName: value(`${key}.fullName`) } };
  const age = ageOf(value('birthDate'));
  return {
    personalId: value('personalId'),
    fullName: value('fullName'),
    birthDate: value('birthDate'),
    sex: value('sex'),
    nationality: value('nationality'),
    ethnicity: value('ethnicity'),
    religion: value('religion'),
    placeOfOrigin: value('placeOfOrigin'),
    placeOfBirthRegistration: value('placeOfBirthRegistration'),
    placeOfResidence: value('placeOfResidence'),
    ...(value('identifyingMarks') === '' ? {} : { identifyingMarks: value('identifyingMarks') }),
    ...relative('father'),
    ...relative('mother'),
    ...(value('formerIdNumber') === '' ? {} : { formerIdNumber: value('formerIdNumber') }),
    ...(type === 'renewal' || (type === 'reissue-after-loss' && value('previousCardNumber') !== '')
      ? { previousCardNumber: value('previousCardNumber') }
      : {}),
    ...(type === 'correction'
      ? {
          correction: {
            fields: value('correction.fields').split(',').filter(Boolean),
            document: value('correction.document'),
          },
        }
      : {}),
    ...(age !== undefined && age >= 6 && age < 14
      ? {
          legalRepresentative: {
            personalId: value('rep.personalId'),
            fullName: value('rep.fullName'),
            relationship: value('rep.relationship') || 'father',
            consentGiven: value('rep.consent') === 'yes',
          },
        }
      : {}),
  };
}

export function DemographicsPanel({ draft, step }: { draft: DraftView; step: SendStep }) {
  const { t, lang } = useShared();
  const [form, setForm] = useState<Form>(() => initialForm(draft));
  const [telex, setTelexState] = useState(telexRemembered);
  const setTelex = (on: boolean) => {
    setTelexState(on);
    try {
      globalThis.localStorage?.setItem(TELEX_KEY, on ? 'on' : 'off');
    } catch {
      // Not remembered; the switch still works.
    }
  };
  const set = (key: string) => (value: string) => setForm((old) => ({ ...old, [key]: value }));
  // Sex is a choice the station's schema requires: asked here rather than refused there.
  const [sexMissing, setSexMissing] = useState(false);
  const save = useAction(async () => {
    setSexMissing(form.sex !== 'male' && form.sex !== 'female');
    if (form.sex !== 'male' && form.sex !== 'female') return;
    await step({ kind: 'demographics', input: inputOf(form, draft.type) });
  });
  const errors: Record<string, string> = {
    ...problemsByField([save.error], lang),
    ...(sexMissing ? { sex: t('enr.sex.missing') } : {}),
  };
  const age = ageOf(form.birthDate ?? '');
  const label = (key: string) => t(`enr.field.${key}` as MessageKey);

  // What the typed details change from the old card and from the population record, as typed.
  const changes = useMemo(() => {
    const sources = [
      {
        from: 'card',
        record: draft.prefill?.card ?? (draft.prefill?.source === 'card' ? draft.prefill.record : undefined),
      },
      {
        from: 'population',
        record:
          draft.prefill?.source === 'population' || draft.prefill?.card ? draft.prefill.record : undefined,
      },
    ] as const;
    const rows: { field: string; typed: string; recorded: string; from: 'card' | 'population' }[] = [];
    for (const { from, record } of sources) {
      if (record === undefined) continue;
      for (const field of CORRECTABLE) {
        const was = record[field];
        const now = (form[field] ?? '').normalize('NFC').trim();
        if (was !== undefined && was.normalize('NFC') !== now)
          rows.push({ field, typed: now, recorded: was, from });
      }
    }
    return rows;
  }, [draft.prefill, form]);

  const summary = Object.entries(errors);
  return (
    <form
      class="card enr-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      {draft.prefill !== null && draft.prefill.source !== 'none' ? (
        <p class="enr-prefilled" role="status" data-prefill={draft.prefill.source}>
          {t(`enr.prefill.from.${draft.prefill.source}`)}
        </p>
      ) : draft.prefill?.reason ? (
        <p class="note">{t('enr.prefill.none', { reason: draft.prefill.reason })}</p>
      ) : null}
      <label class="enr-toggle">
        <input
          type="checkbox"
          checked={telex}
          onChange={(e) => setTelex((e.currentTarget as HTMLInputElement).checked)}
        />
        {t('enr.telex.toggle')}
      </label>
      <p class="enr-hint" id="enr-telex-help">
        {t('enr.telex.help')}
      </p>
      {save.error ? (
        <div class="form-error enr-summary" role="alert">
          <p>{officerMessage(save.error, lang)}</p>
          {summary.length > 0 ? (
            <ul>
              {summary.map(([key, message]) => (
                <li key={key}>
                  <a href={`#enr-${key.replaceAll('.', '-')}`} onClick={(e) => focusField(e, key)}>
                    {TEXT_KEYS.has(key) || key === 'birthDate' || key === 'sex' ? label(key) : key}
                  </a>
                  : {message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <div class="enr-grid">
        {TEXT_FIELDS.slice(0, 2).map((f) => (
          <TextField
            key={f.key}
            id={`enr-${f.key.replaceAll('.', '-')}`}
            label={label(f.key)}
            value={form[f.key] ?? ''}
            onValue={set(f.key)}
            telex={telex && f.telex}
            required={f.required}
            inputMode={f.numeric ? 'numeric' : 'text'}
            error={errors[f.key]}
          />
        ))}
        <TextField
          id="enr-birthDate"
          type="date"
          label={label('birthDate')}
          value={form.birthDate ?? ''}
          onValue={set('birthDate')}
          required
          error={errors.birthDate}
        />
        <fieldset
          class={`enr-radios${errors.sex ? ' field-invalid' : ''}`}
          aria-describedby={errors.sex ? 'enr-sex-error' : undefined}
        >
          <legend>
            {label('sex')}
            <span aria-hidden="true"> *</span>
          </legend>
          {(['male', 'female'] as const).map((sex) => (
            <label key={sex}>
              <input
                type="radio"
                name="enr-sex"
                value={sex}
                checked={form.sex === sex}
                onChange={() => set('sex')(sex)}
              />
              {t(`enr.sex.${sex}`)}
            </label>
          ))}
          {errors.sex ? (
            <p id="enr-sex-error" class="field-error">
              {errors.sex}
            </p>
          ) : null}
        </fieldset>
        {TEXT_FIELDS.slice(2).map((f) => (
          <TextField
            key={f.key}
            id={`enr-${f.key.replaceAll('.', '-')}`}
            label={label(f.key)}
            value={form[f.key] ?? ''}
            onValue={set(f.key)}
            telex={telex && f.telex}
            required={f.required}
            inputMode={f.numeric ? 'numeric' : 'text'}
            error={errors[f.key]}
          />
        ))}
        {draft.type === 'renewal' || draft.type === 'reissue-after-loss' ? (
          <TextField
            id="enr-previousCardNumber"
            label={label('previousCardNumber')}
            value={form.previousCardNumber ?? ''}
            onValue={set('previousCardNumber')}
            inputMode="numeric"
            required={draft.type === 'renewal'}
            error={errors.previousCardNumber}
          />
        ) : null}
      </div>
      {draft.type === 'correction' ? (
        <fieldset
          class="enr-radios"
          aria-describedby={errors['correction.fields'] ? 'enr-correction-error' : undefined}
        >
          <legend>{t('enr.correction.fields')}</legend>
          {CORRECTABLE.map((field) => {
            const chosen = (form['correction.fields'] ?? '').split(',').filter(Boolean);
            return (
              <label key={field}>
                <input
                  type="checkbox"
                  checked={chosen.includes(field)}
                  onChange={(e) => {
                    const on = (e.currentTarget as HTMLInputElement).checked;
                    const next = on ? [...chosen, field] : chosen.filter((c) => c !== field);
                    set('correction.fields')(next.join(','));
                  }}
                />
                {label(field)}
              </label>
            );
          })}
          {errors['correction.fields'] ? (
            <p id="enr-correction-error" class="field-error">
              {errors['correction.fields']}
            </p>
          ) : null}
        </fieldset>
      ) : null}
      {draft.type === 'correction' ? (
        <TextField
          id="enr-correction-document"
          label={t('enr.correction.document')}
          value={form['correction.document'] ?? ''}
          onValue={set('correction.document')}
          telex={telex}
          required
          error={errors['correction.document']}
        />
      ) : null}
      {age !== undefined && age >= 6 && age < 14 ? (
        <fieldset class="enr-group">
          <legend>{t('enr.rep.title')}</legend>
          <div class="enr-grid">
            <TextField
              id="enr-rep-fullName"
              label={t('enr.rep.name')}
              value={form['rep.fullName'] ?? ''}
              onValue={set('rep.fullName')}
              telex={telex}
              required
              error={errors['legalRepresentative.fullName'] ?? errors.legalRepresentative}
            />
            <TextField
              id="enr-rep-personalId"
              label={t('enr.rep.id')}
              value={form['rep.personalId'] ?? ''}
              onValue={set('rep.personalId')}
              inputMode="numeric"
              required
              error={errors['legalRepresentative.personalId']}
            />
            <div class="field">
              <label for="enr-rep-relationship">{t('enr.rep.relationship')}</label>
              <select
                id="enr-rep-relationship"
                value={form['rep.relationship'] ?? 'father'}
                onChange={(e) => set('rep.relationship')((e.currentTarget as HTMLSelectElement).value)}
              >
                {(['father', 'mother', 'guardian'] as const).map((r) => (
                  <option key={r} value={r}>
                    {t(`enr.rep.${r}`)}
                  </option>
                ))}
              </select>
            </div>
            <label class="enr-toggle">
              <input
                type="checkbox"
                checked={form['rep.consent'] === 'yes'}
                onChange={(e) =>
                  set('rep.consent')((e.currentTarget as HTMLInputElement).checked ? 'yes' : '')
                }
              />
              {t('enr.rep.consent')}
            </label>
          </div>
        </fieldset>
      ) : null}
      {changes.length > 0 ? (
        <section class="enr-changes" aria-labelledby="enr-changes-title">
          <h3 id="enr-changes-title">{t('enr.changes.title')}</h3>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('enr.changes.field')}</th>
                <th scope="col">{t('enr.changes.was')}</th>
                <th scope="col">{t('enr.changes.now')}</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((row) => (
                <tr key={`${row.from}-${row.field}`} data-change={row.field}>
                  <td>
                    {label(row.field)} ({t(`enr.changes.from.${row.from}`)})
                  </td>
                  <td>{row.recorded}</td>
                  <td>{row.typed === '' ? '—' : row.typed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      <div class="enr-actions">
        <button type="submit" class="primary" disabled={save.busy} aria-busy={save.busy}>
          {save.busy ? t('enr.saving') : t('enr.demographics.save')}
        </button>
      </div>
    </form>
  );
}

const TEXT_KEYS = new Set(TEXT_FIELDS.map((f) => f.key));

function focusField(event: Event, key: string) {
  event.preventDefault();
  document.getElementById(`enr-${key.replaceAll('.', '-')}`)?.focus();
}
