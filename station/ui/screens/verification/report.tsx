/**
 * The signed report: the password entered again (a one-use grant from /auth/reauth) signs it with
 * the station's key; then it shows framed in Chromium's PDF viewer, whose print button prints it (the
 * kiosk prints straight to its printer and saves no downloads; a print() called on the framed viewer
 * crashed headless Chromium), and its signed JSON can be saved where downloads are allowed.
 */
import { useState } from 'preact/hooks';
import { api, officerMessage } from '../../api.ts';
import { Field } from '../../components/field.tsx';
import { useRetryWait } from '../../components/retry-wait.ts';
import { useAction } from '../../components/use-action.ts';
import { useShared } from '../../state.ts';
import type { VerificationSession } from './api.ts';

export function ReportPanel(props: {
  readonly session: VerificationSession;
  readonly signed: string | undefined;
  readonly onSigned: (reportId: string) => void;
}) {
  const { t, lang } = useShared();
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const [printing, setPrinting] = useState<number | undefined>(undefined);
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
    }
    setPassword('');
    const result = await props.session.step<{ reportId: string }>('report', { grant: grant.grantId });
    props.onSigned(result.reportId);
  });
  if (props.signed === undefined)
    return (
      <form
        class="card ver-report"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void sign.run();
        }}
      >
        <h2>{t('ver.report.title')}</h2>
        <p>{t('ver.report.signHint')}</p>
        <Field
          id="ver-report-password"
          type="password"
          label={t('ver.report.password')}
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
          error={
            missing ? t('ver.key.required', { field: t('ver.report.password').toLowerCase() }) : undefined
          }
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
        <button type="submit" class="primary" disabled={sign.busy || waitSeconds > 0} aria-busy={sign.busy}>
          {sign.busy ? t('ver.report.signing') : t('ver.report.sign')}
        </button>
      </form>
    );
  return (
    <section class="card ver-report">
      <h2>{t('ver.report.title')}</h2>
      <p role="status" data-report={props.signed}>
        {t('ver.report.signed', { reportId: props.signed })}
      </p>
      <div class="ver-actions">
        <button type="button" class="primary" onClick={() => setPrinting(Date.now())}>
          {t('ver.report.print')}
        </button>
        <a class="ver-link" href={props.session.reportUrl('json')} download>
          {t('ver.report.save')}
        </a>
      </div>
      <p class="note">{t('ver.report.saveHint')}</p>
      {printing === undefined ? null : (
        <div class="ver-print" role="dialog" aria-modal="false" aria-label={t('ver.report.printFrame')}>
          <p class="note">{t('ver.report.printHint')}</p>
          <iframe
            key={printing}
            class="ver-print-frame"
            title={t('ver.report.printFrame')}
            src={props.session.reportUrl('pdf', true)}
          />
          <button type="button" class="secondary" onClick={() => setPrinting(undefined)}>
            {t('ver.report.closePrint')}
          </button>
        </div>
      )}
    </section>
  );
}
