/**
 * The e-ID level-2 registration (issue 22): the citizen's chip card read and proven genuine, their
 * live face against the chip portrait, their mobile number and e-mail with their consent (each
 * field's problem from the station under it), the officer's signature (the password again), then the
 * application queued, and acknowledged by central once the uploader delivers it. The registration's
 * id is in the URL (#/eid/<id>): the station keeps it encrypted, so a refresh or a restart resumes it.
 * Each step is one request to /eid-registrations (station/plugins/eid.ts).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Bilingual, officerMessage } from '../../api.ts';
import { Field } from '../../components/field.tsx';
import { useAction } from '../../components/use-action.ts';
import { type MessageKey, pick } from '../../i18n/index.ts';
import type { Job } from '../../jobs.ts';
import { useShared } from '../../state.ts';
import { type FieldErrors, fieldProblems, KeyForm } from '../verification/key-form.tsx';
import { useLiveFrame } from '../verification/person.tsx';
import './eid.css';

interface EidView {
  readonly id: string;
  readonly packetId: string;
  readonly version: number;
  readonly stage: string;
  readonly card: {
    readonly holder?: { readonly fullName?: string; readonly id12?: string } | undefined;
    readonly central?: { readonly checked: boolean };
  } | null;
  readonly face: { readonly decision: string; readonly distance: number; readonly threshold: number } | null;
  readonly contact: { readonly phone: string; readonly email: string } | null;
  readonly refused: { readonly code: string; readonly message: Bilingual } | null;
  readonly consentTextVersion: string;
}

interface StepAnswer {
  readonly outcome: { readonly version: number; readonly stage: string };
  readonly registration: EidView;
  readonly packet?: { readonly packetId: string; readonly state: string };
}

type ContactField = 'phone' | 'email';

/** The steps as the officer sees them, and which stages each covers. */
const STEPS: readonly [MessageKey, readonly string[]][] = [
  ['eid.step.card', ['started', 'card-key']],
  ['eid.step.face', ['card-read']],
  ['eid.step.contact', ['face-matched']],
  ['eid.step.sign', ['contact', 'signed']],
  ['eid.step.queued', ['queued']],
];

const decimals = (value: number) => value.toFixed(2);

export function EidScreen({ path }: { path: string }) {
  const { t, lang, health } = useShared();
  const id = /^\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const [view, setView] = useState<EidView | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  const camera = health?.devices?.find((device) => device.family === 'camera');
  const barcode = health?.devices?.find((device) => device.family === 'barcode');

  // The registration of the URL (after a refresh, a restart, or the officer's own link).
  useEffect(() => {
    if (id === undefined) {
      setView(undefined);
      return;
    }
    if (view?.id === id) return;
    api<EidView>('GET', `/eid-registrations/${id}`).then(setView, setLoadError);
  }, [id, view?.id]);
  useEffect(() => heading.current?.focus(), [view?.stage]);

  // The registration as last answered, for steps that follow one another within one action.
  const latest = useRef<EidView | undefined>(undefined);
  latest.current = view;
  /** One step at the version last seen; the registration as the station now has it. */
  const step = async (body: Record<string, unknown>): Promise<StepAnswer> => {
    const current = latest.current;
    if (current === undefined) throw new Error('no registration');
    const answer = await api<StepAnswer>('POST', `/eid-registrations/${current.id}/steps`, {
      version: current.version,
      step: body,
    });
    latest.current = answer.registration;
    setView(answer.registration);
    return answer;
  };

  const open = useAction(async () => {
    const created = await api<EidView>('POST', '/eid-registrations');
    setView(created);
    location.hash = `#/eid/${created.id}`;
  });
  const abandon = useAction(async () => {
    await step({ kind: 'abandon', reason: t('eid.abandonReason') });
  });

  const stage = view?.stage;
  const current = STEPS.findIndex(([, stages]) => stage !== undefined && stages.includes(stage));
  return (
    <main id="main" class="screen eid">
      <div class="eid-head">
        <h1 tabIndex={-1} ref={heading}>
          {t('eid.title')}
        </h1>
        <a class="eid-link" href="#/">
          {t('eid.home')}
        </a>
      </div>
      <ol class="steps" aria-label={t('eid.steps')}>
        {STEPS.map(([label], index) => (
          <li
            key={label}
            class={index === current ? 'step-on' : index < current ? 'step-done' : ''}
            aria-current={index === current ? 'step' : undefined}
          >
            {t(label)}
          </li>
        ))}
      </ol>
      {view === undefined ? (
        id !== undefined && loadError === undefined ? (
          <p class="note" role="status">
            {t('eid.loading')}
          </p>
        ) : (
          <section class="card eid-start">
            <p>{t('eid.intro')}</p>
            {loadError || open.error ? (
              <p class="form-error" role="alert">
                {officerMessage(loadError ?? open.error, lang)}
              </p>
            ) : null}
            <button
              type="button"
              class="primary"
              disabled={open.busy}
              aria-busy={open.busy}
              onClick={() => {
                setLoadError(undefined);
                void open.run();
              }}
            >
              {open.busy ? t('eid.starting') : t('eid.start')}
            </button>
          </section>
        )
      ) : (
        <div class="eid-grid">
          <div>
            {stage === 'started' || stage === 'card-key' ? (
              <CardStep step={step} cameraId={camera?.id} scannerId={barcode?.id} />
            ) : null}
            {stage === 'card-read' ? <FaceStep step={step} id={view.id} cameraId={camera?.id} /> : null}
            {stage === 'face-matched' ? <ContactStep step={step} view={view} /> : null}
            {stage === 'contact' || stage === 'signed' ? <SignStep step={step} view={view} /> : null}
            {stage === 'queued' ? <Queued view={view} /> : null}
            {stage === 'refused' && view.refused !== null ? (
              <section class="eid-refused" role="alert" data-refusal={view.refused.code}>
                <h2>{t('eid.refused.title')}</h2>
                <p>{pick(view.refused.message, lang)}</p>
              </section>
            ) : null}
            {stage === 'queued' || stage === 'refused' || stage === 'abandoned' ? (
              <div class="eid-actions">
                <button
                  type="button"
                  class="primary"
                  onClick={() => {
                    setView(undefined);
                    location.hash = '#/eid';
                  }}
                >
                  {t('eid.again')}
                </button>
              </div>
            ) : (
              <div class="eid-actions">
                <button
                  type="button"
                  class="secondary"
                  disabled={abandon.busy}
                  onClick={() => void abandon.run()}
                >
                  {t('eid.abandon')}
                </button>
              </div>
            )}
          </div>
          <Citizen view={view} />
        </div>
      )}
    </main>
  );
}

type Step = (body: Record<string, unknown>) => Promise<StepAnswer>;

function CardStep(props: { step: Step; cameraId: string | undefined; scannerId: string | undefined }) {
  const { t, lang } = useShared();
  const [errors, setErrors] = useState<FieldErrors>({});
  const read = useAction(async (key: Record<string, unknown>) => {
    setErrors({});
    try {
      await props.step({ kind: 'card-key', ...key });
    } catch (error) {
      setErrors(fieldProblems(error, lang));
      throw error;
    }
    await props.step({ kind: 'read-card', waitMs: 20000 });
  });
  const refusal =
    read.error === undefined || (read.error instanceof ApiError && read.error.problems.length > 0)
      ? undefined
      : officerMessage(read.error, lang);
  return (
    <div>
      <h2>{t('eid.card.title')}</h2>
      <KeyForm
        busy={read.busy}
        errors={errors}
        cameraId={props.cameraId}
        scannerId={props.scannerId}
        onSubmit={(key) => void read.run(key)}
      />
      {refusal ? (
        <p class="form-error" role="alert">
          {refusal}
        </p>
      ) : null}
    </div>
  );
}

/** The chip portrait of a registration as an object URL while mounted (undefined before it loads). */
function useChipPortrait(id: string): string | undefined {
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    let made: string | undefined;
    let stopped = false;
    void fetch(`/eid-registrations/${id}/portrait`, { credentials: 'same-origin' })
      .then(async (response) => (response.ok ? response.blob() : undefined))
      .then((blob) => {
        if (blob === undefined || stopped) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch(() => undefined);
    return () => {
      stopped = true;
      if (made !== undefined) URL.revokeObjectURL(made);
    };
  }, [id]);
  return url;
}

function FaceStep(props: { step: Step; id: string; cameraId: string | undefined }) {
  const { t, lang } = useShared();
  const live = useLiveFrame(props.cameraId);
  const chip = useChipPortrait(props.id);
  const compare = useAction(async () => {
    await props.step({
      kind: 'compare-face',
      ...(props.cameraId === undefined ? {} : { camera: props.cameraId }),
    });
  });
  return (
    <section class="card eid-face">
      <h2>{t('eid.face.title')}</h2>
      <p class="note">{t('eid.face.hint')}</p>
      <div class="eid-faces">
        <figure class="eid-live">
          {chip ? (
            <img src={chip} alt={t('ver.person.chipAlt')} data-portrait="chip" />
          ) : (
            <p class="note">{t('ver.person.noChipPortrait')}</p>
          )}
          <figcaption>{t('ver.person.chip')}</figcaption>
        </figure>
        <figure class="eid-live">
          {live ? (
            <img src={live} alt={t('ver.person.liveAlt')} data-portrait="live" />
          ) : (
            <p class="note">{t('ver.person.noCamera')}</p>
          )}
          <figcaption>{t('ver.person.live')}</figcaption>
        </figure>
      </div>
      {compare.error ? (
        <p class="form-error" role="alert">
          {officerMessage(compare.error, lang)}
        </p>
      ) : null}
      <button
        type="button"
        class="primary"
        disabled={compare.busy}
        aria-busy={compare.busy}
        onClick={() => void compare.run()}
      >
        {compare.busy ? t('eid.face.comparing') : t('eid.face.compare')}
      </button>
    </section>
  );
}

function ContactStep(props: { step: Step; view: EidView }) {
  const { t, lang } = useShared();
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [consent, setConsent] = useState({ phone: false, email: false, dataProcessing: false });
  const [errors, setErrors] = useState<Partial<Record<ContactField | 'consent', string>>>({});
  const save = useAction(async () => {
    const found: Partial<Record<ContactField | 'consent', string>> = {};
    if (phone.trim() === '')
      found.phone = t('eid.contact.required', { field: t('eid.contact.phone').toLowerCase() });
    if (email.trim() === '')
      found.email = t('eid.contact.required', { field: t('eid.contact.email').toLowerCase() });
    if (!consent.phone || !consent.email || !consent.dataProcessing)
      found.consent = t('eid.contact.consentMissing');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    try {
      await props.step({
        kind: 'contact',
        phone: phone.trim(),
        email: email.trim(),
        consent: { ...consent, textVersion: props.view.consentTextVersion },
      });
    } catch (error) {
      const fields = fieldProblems(error, lang) as Partial<Record<string, string>>;
      if (error instanceof ApiError)
        for (const problem of error.problems) {
          const name = (problem.field ?? problem.key ?? '').split('/').pop();
          if (name === 'phone' || name === 'email')
            fields[name] = typeof problem.message === 'string' ? problem.message : problem.message[lang];
        }
      setErrors({ phone: fields.phone, email: fields.email });
      throw error;
    }
  });
  const box = (key: keyof typeof consent, label: MessageKey) => (
    <label class="eid-consent">
      <input
        type="checkbox"
        checked={consent[key]}
        onChange={(event) =>
          setConsent({ ...consent, [key]: (event.currentTarget as HTMLInputElement).checked })
        }
      />
      {t(label)}
    </label>
  );
  const refusal =
    save.error === undefined || (save.error instanceof ApiError && save.error.problems.length > 0)
      ? undefined
      : officerMessage(save.error, lang);
  return (
    <form
      class="card eid-contact"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      <h2>{t('eid.contact.title')}</h2>
      <Field
        id="eid-phone"
        type="tel"
        inputMode="tel"
        autoComplete="off"
        label={t('eid.contact.phone')}
        value={phone}
        onInput={setPhone}
        error={errors.phone}
      />
      <Field
        id="eid-email"
        type="email"
        inputMode="email"
        autoComplete="off"
        label={t('eid.contact.email')}
        value={email}
        onInput={setEmail}
        error={errors.email}
      />
      <fieldset class="eid-consents" aria-describedby={errors.consent ? 'eid-consent-error' : undefined}>
        <legend>{t('eid.contact.consentTitle')}</legend>
        {box('phone', 'eid.contact.consentPhone')}
        {box('email', 'eid.contact.consentEmail')}
        {box('dataProcessing', 'eid.contact.consentData')}
        <p class="note">{t('eid.contact.consentVersion', { version: props.view.consentTextVersion })}</p>
        {errors.consent ? (
          <p class="field-error" id="eid-consent-error">
            {errors.consent}
          </p>
        ) : null}
      </fieldset>
      {refusal ? (
        <p class="form-error" role="alert" data-code={save.error instanceof ApiError ? save.error.code : ''}>
          {refusal}
        </p>
      ) : null}
      <button type="submit" class="primary" disabled={save.busy} aria-busy={save.busy}>
        {save.busy ? t('eid.contact.saving') : t('eid.contact.save')}
      </button>
    </form>
  );
}

function SignStep(props: { step: Step; view: EidView }) {
  const { t, lang } = useShared();
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const sign = useAction(async () => {
    if (props.view.stage === 'contact') {
      if (password === '') {
        setMissing(true);
        return;
      }
      setMissing(false);
      const grant = await api<{ grantId: string }>('POST', '/auth/reauth', { password });
      setPassword('');
      await props.step({ kind: 'sign', grant: grant.grantId });
    }
    await props.step({ kind: 'submit' });
  });
  return (
    <form
      class="card eid-sign"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void sign.run();
      }}
    >
      <h2>{t('eid.sign.title')}</h2>
      {props.view.contact ? (
        <p>{t('eid.sign.summary', { phone: props.view.contact.phone, email: props.view.contact.email })}</p>
      ) : null}
      {props.view.stage === 'contact' ? (
        <div>
          <p>{t('eid.sign.hint')}</p>
          <Field
            id="eid-password"
            type="password"
            label={t('eid.sign.password')}
            value={password}
            onInput={setPassword}
            autoComplete="current-password"
            error={
              missing ? t('eid.contact.required', { field: t('eid.sign.password').toLowerCase() }) : undefined
            }
          />
        </div>
      ) : null}
      {sign.error ? (
        <p class="form-error" role="alert">
          {officerMessage(sign.error, lang)}
        </p>
      ) : null}
      <button type="submit" class="primary" disabled={sign.busy} aria-busy={sign.busy}>
        {sign.busy ? t('eid.sign.busy') : t('eid.sign.submit')}
      </button>
    </form>
  );
}

/** The queued application, and its upload state until central acknowledges it. */
function Queued({ view }: { view: EidView }) {
  const { t } = useShared();
  const [state, setState] = useState<string | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const packet = await api<{ entry?: { state?: string } }>('GET', `/outbox/${view.packetId}`);
        const now = packet.entry?.state;
        if (!stopped) setState(now);
        if (now === 'acknowledged' || now === 'dead-letter') return;
      } catch {
        // The banner shows a lost connection; the next poll tries again.
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [view.packetId]);
  return (
    <section class="eid-queued" role="status" data-upload={state ?? ''}>
      <h2>{t('eid.queued.title')}</h2>
      <p>{t('eid.queued.packet', { packetId: view.packetId })}</p>
      <p class="eid-upload">
        {state === 'acknowledged'
          ? t('eid.queued.acknowledged')
          : state === undefined || state === 'queued' || state === 'uploading'
            ? t('eid.queued.waiting')
            : t('eid.queued.state', { state })}
      </p>
    </section>
  );
}

/** What the chip said about the citizen, and the face result once compared. */
function Citizen({ view }: { view: EidView }) {
  const { t } = useShared();
  const holder = view.card?.holder;
  if (holder === undefined) return <div />;
  return (
    <section class="card eid-citizen">
      <h2>{t('ver.holder.title')}</h2>
      <dl>
        <dt>{t('ver.holder.name')}</dt>
        <dd data-holder="name">{holder.fullName ?? ''}</dd>
        <dt>{t('ver.holder.id12')}</dt>
        <dd data-holder="id12">{holder.id12 ?? ''}</dd>
      </dl>
      {view.stage !== 'refused' ? (
        <p class="eid-ok">
          {view.card?.central?.checked === false ? t('eid.card.central.unchecked') : t('eid.card.ok')}
        </p>
      ) : null}
      {view.face !== null && view.face.decision === 'same' ? (
        <p class="eid-ok" data-face="same">
          {t('eid.face.same', {
            distance: decimals(view.face.distance),
            threshold: decimals(view.face.threshold),
          })}
        </p>
      ) : null}
    </section>
  );
}

export const eidJob: Job = {
  route: '/eid',
  roles: ['officer'],
  title: 'home.eid',
  hint: 'home.eid.hint',
  component: EidScreen,
};
