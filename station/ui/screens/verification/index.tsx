/**
 * The notary's verification (issue 22): place the card and give its access key; watch the chip
 * read (PACE/BAC, PA, CA, AA) and the card's status at central; compare the person with the chip
 * portrait (the live camera beside it) and, where the station may read the chip's fingerprints, a
 * finger; read the verdict in plain words; sign the report with the password again, print it, or
 * save its signed JSON. Each step is one request to /verifications (station/plugins/verification.ts).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { pick } from '../../i18n/index.ts';
import type { Job } from '../../jobs.ts';
import { type DeviceView, useShared } from '../../state.ts';
import type { CardRead, FaceResult, FingerResult, StatusResult, VerdictResult } from './api.ts';
import { VerificationSession } from './api.ts';
import { CheckList, cardChecks } from './checks.tsx';
import { type CardKeyBody, type FieldErrors, fieldProblems, KeyForm } from './key-form.tsx';
import { PersonPanel } from './person.tsx';
import { ReportPanel } from './report.tsx';
import './verification.css';

type Phase = 'card' | 'person' | 'verdict';

function deviceOf(devices: readonly DeviceView[] | undefined, family: string): DeviceView | undefined {
  return devices?.find((device) => device.family === family);
}

function ReaderState({ reader }: { reader: DeviceView | undefined }) {
  const { t } = useShared();
  if (reader === undefined) return null;
  const detail = (reader.state as { detail?: { cards?: number } }).detail;
  const text =
    reader.state.status !== 'ready'
      ? t('ver.reader.other', { status: reader.state.status })
      : (detail?.cards ?? 0) > 0
        ? t('ver.reader.card')
        : t('ver.reader.empty');
  return (
    <p class="ver-reader" data-cards={detail?.cards ?? 0}>
      {text}
    </p>
  );
}

export function VerificationScreen() {
  const { t, lang, health } = useShared();
  const session = useRef<VerificationSession | undefined>(undefined);
  const [phase, setPhase] = useState<Phase>('card');
  const [cardPhase, setCardPhase] = useState<'idle' | 'reading' | 'status' | 'done'>('idle');
  const [read, setRead] = useState<CardRead | undefined>(undefined);
  const [status, setStatus] = useState<StatusResult | undefined>(undefined);
  const [face, setFace] = useState<FaceResult | undefined>(undefined);
  const [finger, setFinger] = useState<FingerResult | undefined>(undefined);
  const [verdict, setVerdict] = useState<VerdictResult | undefined>(undefined);
  const [portrait, setPortrait] = useState<string | undefined>(undefined);
  const [liveShot, setLiveShot] = useState<string | undefined>(undefined);
  const [keyErrors, setKeyErrors] = useState<FieldErrors>({});
  const [signed, setSigned] = useState<string | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);

  const camera = deviceOf(health?.devices, 'camera');
  const barcode = deviceOf(health?.devices, 'barcode');
  const reader = deviceOf(health?.devices, 'card-reader');

  // The chip portrait's object URL goes with the screen (or the next card).
  useEffect(
    () => () => {
      if (portrait !== undefined) URL.revokeObjectURL(portrait);
    },
    [portrait],
  );
  // Each new phase puts the keyboard and the screen reader at its heading.
  useEffect(() => heading.current?.focus(), [phase]);

  const readCard = useAction(async (key: CardKeyBody) => {
    setKeyErrors({});
    // A session whose card was read (or that failed past it) is not reused: a new card, a new session.
    if (session.current === undefined || read !== undefined) {
      session.current = await VerificationSession.start();
      setRead(undefined);
      setStatus(undefined);
    }
    const current = session.current;
    try {
      await current.step('card-key', key);
    } catch (error) {
      setKeyErrors(fieldProblems(error, lang));
      throw error;
    }
    setCardPhase('reading');
    let card: CardRead;
    try {
      card = await current.step<CardRead>('card-read', { waitMs: 20000 });
    } catch (error) {
      setCardPhase('idle');
      throw error;
    }
    setRead(card);
    setCardPhase('status');
    setStatus(await current.step<StatusResult>('status'));
    setCardPhase('done');
    setPortrait(card.portrait ? await current.portraitUrl() : undefined);
    setPhase('person');
  });

  const toVerdict = useAction(async () => {
    const current = session.current;
    if (current === undefined) return;
    if (face === undefined)
      setFace(await current.step<FaceResult>('face', { skip: t('ver.face.skipReason') }));
    if (finger === undefined) setFinger(await current.step<FingerResult>('finger', { skip: true }));
    setVerdict(await current.step<VerdictResult>('verdict'));
    setPhase('verdict');
  });

  const startAgain = () => {
    session.current = undefined;
    setPhase('card');
    setCardPhase('idle');
    setRead(undefined);
    setStatus(undefined);
    setFace(undefined);
    setFinger(undefined);
    setVerdict(undefined);
    setPortrait(undefined);
    setLiveShot(undefined);
    setKeyErrors({});
    setSigned(undefined);
    readCard.clearError();
    toVerdict.clearError();
  };

  // Escape starts again, except while a step runs or once a verdict waits for its signed report.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || readCard.busy || toVerdict.busy) return;
      if (phase === 'verdict' && signed === undefined) return;
      if (phase === 'card' && session.current === undefined) return;
      startAgain();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  const checks = cardChecks(cardPhase, read, status, lang, t);
  const readError =
    readCard.error === undefined || (readCard.error instanceof ApiError && readCard.error.problems.length > 0)
      ? undefined
      : officerMessage(readCard.error, lang);
  const steps: readonly [Phase, string][] = [
    ['card', t('ver.step.card')],
    ['person', t('ver.step.person')],
    ['verdict', t('ver.step.verdict')],
  ];
  return (
    <main id="main" class="screen ver">
      <div class="ver-head">
        <h1 tabIndex={-1} ref={heading}>
          {t('ver.title')}
        </h1>
        <a class="ver-link" href="#/">
          {t('ver.home')}
        </a>
      </div>
      <ol class="steps" aria-label={t('ver.steps')}>
        {steps.map(([id, label]) => (
          <li key={id} class={phase === id ? 'step-on' : ''} aria-current={phase === id ? 'step' : undefined}>
            {label}
          </li>
        ))}
      </ol>
      <p class="note">{t('ver.shortcuts')}</p>
      {phase === 'card' ? (
        <div class="ver-grid">
          <div>
            <section class="card ver-place">
              <h2>{t('ver.place.title')}</h2>
              <p>{t('ver.place.hint')}</p>
              <ReaderState reader={reader} />
            </section>
            <KeyForm
              busy={readCard.busy}
              errors={keyErrors}
              cameraId={camera?.id}
              scannerId={barcode?.id}
              onSubmit={(key) => void readCard.run(key)}
            />
            {readError ? (
              <p
                class="form-error"
                role="alert"
                data-code={readCard.error instanceof ApiError ? readCard.error.code : ''}
              >
                {readError}
              </p>
            ) : null}
          </div>
          <CheckList checks={checks} title={t('ver.progress.title')} />
        </div>
      ) : null}
      {phase === 'person' && read !== undefined && session.current !== undefined ? (
        <div class="ver-grid">
          <div>
            <PersonPanel
              session={session.current}
              read={read}
              portrait={portrait}
              cameraId={camera?.id}
              face={face}
              finger={finger}
              onFace={(result, shot) => {
                setFace(result);
                setLiveShot(shot);
              }}
              onFinger={setFinger}
            />
            {toVerdict.error ? (
              <p class="form-error" role="alert">
                {officerMessage(toVerdict.error, lang)}
              </p>
            ) : null}
            <div class="ver-actions">
              <button
                type="button"
                class="primary"
                disabled={toVerdict.busy}
                aria-busy={toVerdict.busy}
                onClick={() => void toVerdict.run()}
              >
                {t('ver.toVerdict')}
              </button>
            </div>
          </div>
          <div>
            <Holder read={read} />
            <CheckList checks={checks} title={t('ver.progress.title')} />
          </div>
        </div>
      ) : null}
      {phase === 'verdict' && verdict !== undefined && read !== undefined && session.current !== undefined ? (
        <div>
          <VerdictBanner verdict={verdict} />
          <div class="ver-grid">
            <div>
              <div class="ver-faces ver-faces-small">
                <figure>
                  {portrait ? <img src={portrait} alt={t('ver.person.chipAlt')} /> : null}
                  <figcaption>{t('ver.person.chip')}</figcaption>
                </figure>
                {liveShot ? (
                  <figure>
                    <img src={liveShot} alt={t('ver.person.liveAlt')} />
                    <figcaption>{t('ver.person.live')}</figcaption>
                  </figure>
                ) : null}
              </div>
              <ReportPanel session={session.current} signed={signed} onSigned={setSigned} />
              <div class="ver-actions">
                <button type="button" class="secondary" onClick={startAgain}>
                  {t('ver.again')}
                </button>
              </div>
            </div>
            <div>
              <Holder read={read} />
              <CheckList
                title={t('ver.verdict.checks')}
                checks={[
                  ...checks,
                  {
                    id: 'face',
                    label: 'ver.check.face',
                    outcome: face?.checked ? (face.decision === 'same' ? 'passed' : 'failed') : 'notChecked',
                    detail: face?.checked
                      ? t(face.decision === 'same' ? 'ver.check.same' : 'ver.check.different')
                      : face === undefined
                        ? undefined
                        : pick(face.message, lang),
                  },
                  {
                    id: 'finger',
                    label: 'ver.check.finger',
                    outcome: finger?.checked
                      ? finger.decision === 'match'
                        ? 'passed'
                        : finger.decision === 'no-match'
                          ? 'failed'
                          : 'notChecked'
                      : 'notChecked',
                    detail: finger?.checked
                      ? t(`ver.finger.${finger.decision}`)
                      : finger === undefined
                        ? undefined
                        : pick(finger.message, lang),
                  },
                ]}
              />
            </div>
          </div>
        </div>
      ) : null}
    </main>
  );
}

/** The verdict at a glance: one sentence, coloured by what the notary must do. */
function VerdictBanner({ verdict }: { verdict: VerdictResult }) {
  const { t, lang } = useShared();
  const tone =
    verdict.code === 'genuine-holder-present' ? 'ok' : verdict.code.endsWith('-not-checked') ? 'warn' : 'bad';
  const others = verdict.findings.filter((finding) => finding.code !== verdict.code);
  return (
    <section class={`ver-verdict ver-verdict-${tone}`} data-verdict={verdict.code} aria-live="polite">
      <h2>{t('ver.verdict.title')}</h2>
      <p class="ver-verdict-text">{pick(verdict.message, lang)}</p>
      {others.length > 0 ? (
        <div>
          <h3>{t('ver.verdict.findings')}</h3>
          <ul>
            {others.map((finding) => (
              <li key={finding.code} data-finding={finding.code}>
                {pick(finding.message, lang)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

/** yyyy-mm-dd → dd/mm/yyyy, as the card prints dates. */
function printedIso(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : iso;
}

/**
 * A date of birth (YYMMDD, as DG1 carries it) with its century from the 12-digit personal ID: its
 * fourth digit is the century and sex code (0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s,
 * 8/9: 1800s). Without the ID the date stays as DG1 gives it.
 */
function printedBirth(yymmdd: string, id12: string | null | undefined): string {
  if (!/^\d{6}$/.test(yymmdd)) return yymmdd;
  const code = id12 !== null && id12 !== undefined && /^\d{12}$/.test(id12) ? Number(id12[3]) : undefined;
  if (code === undefined) return `${yymmdd.slice(4, 6)}/${yymmdd.slice(2, 4)}/${yymmdd.slice(0, 2)}`;
  const century = [1900, 1900, 2000, 2000, 2100, 2100, 2200, 2200, 1800, 1800][code] ?? 1900;
  return `${yymmdd.slice(4, 6)}/${yymmdd.slice(2, 4)}/${century + Number(yymmdd.slice(0, 2))}`;
}

function Holder({ read }: { read: CardRead }) {
  const { t } = useShared();
  const holder = read.holder;
  if (holder === null) return null;
  return (
    <section class="card ver-holder">
      <h2>{t('ver.holder.title')}</h2>
      <dl>
        <dt>{t('ver.holder.name')}</dt>
        <dd data-holder="name">{holder.fullName ?? ''}</dd>
        <dt>{t('ver.holder.id12')}</dt>
        <dd data-holder="id12">{holder.id12 ?? holder.documentNumber}</dd>
        <dt>{t('ver.holder.dob')}</dt>
        <dd data-holder="birth">{printedBirth(holder.dateOfBirth, holder.id12)}</dd>
        <dt>{t('ver.holder.doe')}</dt>
        <dd data-holder="expiry">
          {read.validity.dateOfExpiry ? printedIso(read.validity.dateOfExpiry) : holder.dateOfExpiry}
        </dd>
      </dl>
    </section>
  );
}

export const verificationJob: Job = {
  route: '/verification',
  roles: ['notary'],
  title: 'home.verification',
  hint: 'home.verification.hint',
  component: VerificationScreen,
};
