/**
 * The chip's access key: the CAN, the numbers printed on the card, or its QR code (read by the
 * barcode scanner, or shown to the camera). Checked here for shape, then by the station, whose
 * per-field problems come back under each field.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, type Bilingual, officerMessage } from '../../api.ts';
import { Field } from '../../components/field.tsx';
import { useAction } from '../../components/use-action.ts';
import { pick } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';

export type KeyMethod = 'can' | 'numbers' | 'qr';

/** The body of the card-key step (besides the version). */
export type CardKeyBody =
  | { readonly can: string }
  | { readonly id12: string; readonly dateOfBirth: string; readonly dateOfExpiry: string }
  | { readonly qr: string };

type FieldName = 'can' | 'id12' | 'dateOfBirth' | 'dateOfExpiry' | 'qr';
export type FieldErrors = Partial<Record<FieldName, string>>;

interface QrAnswer {
  readonly ok: boolean;
  readonly text?: string | null;
  readonly message?: Bilingual;
  readonly key?: { readonly id12?: string } | null;
}

/** `2039-01-01` → `390101` (the chip key's YYMMDD). */
function yymmdd(iso: string): string | undefined {
  const m = /^\d{2}(\d{2})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[1]}${m[2]}${m[3]}` : undefined;
}

/** The station's per-field problems (`body/can`, `/id12` ...) by field, in the officer's language. */
export function fieldProblems(error: unknown, lang: 'vi' | 'en'): FieldErrors {
  const found: FieldErrors = {};
  if (!(error instanceof ApiError)) return found;
  for (const problem of error.problems) {
    const where = problem.key ?? problem.field ?? '';
    const name = where.split('/').pop() as FieldName | undefined;
    if (name === undefined || !['can', 'id12', 'dateOfBirth', 'dateOfExpiry', 'qr'].includes(name)) continue;
    const message = typeof problem.message === 'string' ? problem.message : problem.message[lang];
    found[name] = found[name] ?? message;
  }
  return found;
}

export function KeyForm(props: {
  readonly busy: boolean;
  readonly errors: FieldErrors;
  readonly cameraId: string | undefined;
  readonly scannerId: string | undefined;
  readonly onSubmit: (key: CardKeyBody) => void;
}) {
  const { t, lang } = useShared();
  const [method, setMethod] = useState<KeyMethod>('can');
  const [can, setCan] = useState('');
  const [id12, setId12] = useState('');
  const [dob, setDob] = useState('');
  const [doe, setDoe] = useState('');
  const [qr, setQr] = useState<{ text: string; id12: string } | undefined>(undefined);
  const [qrProblem, setQrProblem] = useState<string | undefined>(undefined);
  const [local, setLocal] = useState<FieldErrors>({});
  const errors: FieldErrors = { ...props.errors, ...local };

  const takeQr = (answer: QrAnswer) => {
    if (answer.ok && typeof answer.text === 'string') {
      setQr({ text: answer.text, id12: answer.key?.id12 ?? '' });
      setQrProblem(undefined);
    } else {
      setQr(undefined);
      setQrProblem(answer.message ? pick(answer.message, lang) : t('ver.key.qrNone'));
    }
  };
  const scan = useAction(async () => {
    setQrProblem(undefined);
    takeQr(await api<QrAnswer>('POST', `/devices/${props.scannerId}/scan`, { timeoutMs: 15000 }));
  });
  const fromCamera = useAction(async () => {
    setQrProblem(undefined);
    const frame = await fetch(`/devices/${props.cameraId}/frame`, { credentials: 'same-origin' });
    if (!frame.ok) throw new Error(t('ver.person.noCamera'));
    const decoded = await fetch('/qr/decode', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'image/jpeg', accept: 'application/json' },
      body: await frame.blob(),
    });
    takeQr((await decoded.json()) as QrAnswer);
  });

  const submit = () => {
    const missing = (label: string) => t('ver.key.required', { field: label.toLowerCase() });
    const found: FieldErrors = {};
    if (method === 'can') {
      if (can.trim() === '') found.can = missing(t('ver.key.can'));
      else if (!/^\d{6}$/.test(can.trim())) found.can = t('ver.key.canInvalid');
      setLocal(found);
      if (found.can === undefined) props.onSubmit({ can: can.trim() });
      return;
    }
    if (method === 'numbers') {
      const birth = yymmdd(dob);
      const expiry = yymmdd(doe);
      if (id12.trim() === '') found.id12 = missing(t('ver.key.id12'));
      else if (!/^\d{12}$/.test(id12.trim())) found.id12 = t('ver.key.id12Invalid');
      if (dob === '') found.dateOfBirth = missing(t('ver.key.dob'));
      else if (birth === undefined) found.dateOfBirth = t('ver.key.dateInvalid');
      if (doe === '') found.dateOfExpiry = missing(t('ver.key.doe'));
      else if (expiry === undefined) found.dateOfExpiry = t('ver.key.dateInvalid');
      setLocal(found);
      if (Object.keys(found).length === 0 && birth !== undefined && expiry !== undefined)
        props.onSubmit({ id12: id12.trim(), dateOfBirth: birth, dateOfExpiry: expiry });
      return;
    }
    if (qr === undefined) {
      setLocal({ qr: t('ver.key.qrNone') });
      return;
    }
    setLocal({});
    props.onSubmit({ qr: qr.text });
  };

  const methods: readonly [KeyMethod, string][] = [
    ['can', t('ver.key.can')],
    ['numbers', t('ver.key.numbers')],
    ['qr', t('ver.key.qr')],
  ];
  const qrBusy = scan.busy || fromCamera.busy;
  const qrError = scan.error ?? fromCamera.error;
  return (
    <form
      class="card ver-key"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!props.busy) submit();
      }}
    >
      <h2>{t('ver.key.title')}</h2>
      <fieldset class="ver-methods">
        <legend>{t('ver.key.method')}</legend>
        {methods.map(([value, label]) => (
          <label key={value} class={`ver-method${method === value ? ' ver-method-on' : ''}`}>
            <input
              type="radio"
              name="ver-key-method"
              value={value}
              checked={method === value}
              onChange={() => {
                setMethod(value);
                setLocal({});
              }}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {method === 'can' ? (
        <Field
          id="ver-can"
          label={t('ver.key.canLabel')}
          value={can}
          onInput={setCan}
          inputMode="numeric"
          autoComplete="off"
          error={errors.can}
        />
      ) : null}
      {method === 'numbers' ? (
        <div class="ver-numbers">
          <Field
            id="ver-id12"
            label={t('ver.key.id12')}
            value={id12}
            onInput={setId12}
            inputMode="numeric"
            autoComplete="off"
            error={errors.id12}
          />
          <Field
            id="ver-dob"
            type="date"
            label={t('ver.key.dob')}
            value={dob}
            onInput={setDob}
            error={errors.dateOfBirth}
          />
          <Field
            id="ver-doe"
            type="date"
            label={t('ver.key.doe')}
            value={doe}
            onInput={setDoe}
            error={errors.dateOfExpiry}
          />
        </div>
      ) : null}
      {method === 'qr' ? (
        <div class="ver-qr">
          <div class="ver-actions">
            {props.scannerId === undefined ? null : (
              <button type="button" class="secondary" disabled={qrBusy} onClick={() => void scan.run()}>
                {t('ver.key.qrScanner')}
              </button>
            )}
            {props.cameraId === undefined ? null : (
              <button type="button" class="secondary" disabled={qrBusy} onClick={() => void fromCamera.run()}>
                {t('ver.key.qrCamera')}
              </button>
            )}
          </div>
          <p class="note" role="status">
            {qrBusy ? t('ver.key.qrScanning') : qr ? t('ver.key.qrRead', { id12: qr.id12 }) : ''}
          </p>
          {qrProblem || qrError || errors.qr ? (
            <p class="field-error" id="ver-qr-error">
              {qrProblem ?? (qrError === undefined ? undefined : officerMessage(qrError, lang)) ?? errors.qr}
            </p>
          ) : null}
        </div>
      ) : null}
      <button type="submit" class="primary" disabled={props.busy} aria-busy={props.busy}>
        {props.busy ? t('ver.reading') : t('ver.read')}
      </button>
    </form>
  );
}
