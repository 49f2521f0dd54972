/** Sign-in: account name and password; the station's refusal (wrong password, slowed down, disabled) in the officer's language. */
import { useState } from 'preact/hooks';
import { ApiError, api, officerMessage } from '../api.ts';
import { Field } from '../components/field.tsx';
import { useRetryWait } from '../components/retry-wait.ts';
import { useAction } from '../components/use-action.ts';
import { type SessionView, useShared } from '../state.ts';

export function SignIn() {
  const { t, lang, setSession } = useShared();
  const [account, setAccount] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<{ account?: boolean; password?: boolean }>({});
  // After a wrong password the station asks to wait: the button waits as long, counting down.
  const wait = useRetryWait();
  const waitSeconds = wait.seconds;
  const login = useAction(async () => {
    const empty = { account: account.trim() === '', password: password === '' };
    setMissing(empty);
    if (empty.account || empty.password) return;
    let view: SessionView;
    try {
      view = await api<SessionView>('POST', '/auth/login', { account: account.trim(), password });
    } catch (error) {
      wait.note(error);
      throw error;
    }
    setPassword('');
    setSession(view);
  });
  const refusal = login.error === undefined ? undefined : officerMessage(login.error, lang);
  return (
    <main id="main" class="screen screen-narrow">
      <h1>{t('signin.title')}</h1>
      <form
        class="card"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void login.run();
        }}
      >
        <Field
          id="account"
          label={t('signin.account')}
          value={account}
          onInput={setAccount}
          autoComplete="username"
          error={
            missing.account ? t('signin.required', { field: t('signin.account').toLowerCase() }) : undefined
          }
        />
        <Field
          id="password"
          type="password"
          label={t('signin.password')}
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
          error={
            missing.password ? t('signin.required', { field: t('signin.password').toLowerCase() }) : undefined
          }
        />
        {refusal ? (
          <p
            class="form-error"
            role="alert"
            data-code={login.error instanceof ApiError ? login.error.code : ''}
          >
            {refusal}
          </p>
        ) : null}
        {waitSeconds > 0 ? (
          <p class="note" role="status">
            {t('signin.wait', { seconds: waitSeconds })}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={login.busy || waitSeconds > 0} aria-busy={login.busy}>
          {login.busy ? t('signin.busy') : t('signin.submit')}
        </button>
      </form>
    </main>
  );
}
