/** After sign-in: who is signed in, and the jobs their roles allow. */
import { api } from '../api.ts';
import { useAction } from '../components/use-action.ts';
import type { Job } from '../jobs.ts';
import { useShared } from '../state.ts';

export function Home({ jobs }: { jobs: readonly Job[] }) {
  const { t, session, setSession } = useShared();
  const signOut = useAction(async () => {
    await api('POST', '/auth/logout');
    setSession(undefined);
  });
  if (session === undefined) return null;
  const roles = session.account.roles;
  const allowed = jobs.filter((job) => job.roles.some((role) => roles.includes(role)));
  return (
    <main id="main" class="screen">
      <div class="home-head">
        <div>
          <h1>{t('home.greeting', { name: session.account.displayName })}</h1>
          <p>{t('home.roles', { roles: roles.map((role) => t(`role.${role}`)).join(', ') })}</p>
        </div>
        <button type="button" class="secondary" disabled={signOut.busy} onClick={() => void signOut.run()}>
          {t('home.signout')}
        </button>
      </div>
      <h2>{t('home.choose')}</h2>
      {allowed.length === 0 ? (
        <p class="note">{t('home.notYet')}</p>
      ) : (
        <ul class="tiles">
          {allowed.map((job) => (
            <li key={job.route}>
              <a class="tile" href={`#${job.route}`}>
                <span class="tile-title">{t(job.title)}</span>
                <span class="tile-hint">{t(job.hint)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
