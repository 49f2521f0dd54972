/** The idle-locked screen: the same officer unlocks with the password (the station rotates the session). */
import { useState } from 'preact/hooks';
import { api, officerMessage } from '../api.ts';
import { Field } from '../components/field.tsx';
import { useAction } from '../components/use-action.ts';
import { type SessionView, useShared } from '../state.ts';

export function Lock({ session }: { session: SessionView }) {
  const { t, lang, setSession } = useShared();
  const [password, setPassword] = useState('');
  const unlock = useAction(async () => {
    const view = await api<SessionView>('POST', '/auth/unlock', { password });
    setPassword('');
    setSession(view);
  });
  return (
    <main id="main" class="screen screen-narrow">
      <h1>{t('lock.title')}</h1>
      <p>{session.account.displayName}</p>
      <form
        class="card"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void unlock.run();
        }}
      >
        <p>{t('lock.hint')}</p>
        <Field
          id="unlock-password"
          type="password"
          label={t('signin.password')}
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
        />
        {unlock.error ? (
          <p class="form-error" role="alert">
            {officerMessage(unlock.error, lang)}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={unlock.busy}>
          {t('lock.unlock')}
        </button>
      </form>
    </main>
  );
}
