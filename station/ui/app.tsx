/**
 * The station's screen: the status bar and connection banner over whichever screen fits the
 * session (sign-in, locked, or the signed-in officer's). Routes are the URL's hash (#/...), so a
 * browser refresh stays where it was and the station serves one page.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, onSessionLost } from './api.ts';
import { ConnectionBanner } from './components/connection-banner.tsx';
import { StatusBar } from './components/status-bar.tsx';
import { initialLang, type Lang, rememberLang, translator } from './i18n/index.ts';
import { JOBS } from './jobs.ts';
import { Home } from './screens/home.tsx';
import { Lock } from './screens/lock.tsx';
import { SignIn } from './screens/sign-in.tsx';
import { type HealthView, type SessionView, type Shared, SharedContext } from './state.ts';

/** How often the status bar asks /health, ms. */
const HEALTH_EVERY_MS = 2000;

function useHash(): string {
  const [hash, setHash] = useState(location.hash.replace(/^#/, '') || '/');
  useEffect(() => {
    const changed = () => setHash(location.hash.replace(/^#/, '') || '/');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [session, setSession] = useState<SessionView | undefined>(undefined);
  const [checked, setChecked] = useState(false);
  const [health, setHealth] = useState<HealthView | undefined>(undefined);
  const route = useHash();

  const setLang = useCallback((next: Lang) => {
    rememberLang(next);
    setLangState(next);
  }, []);
  useEffect(() => rememberLang(lang), [lang]);

  // Who is signed in (a refreshed page keeps its session); a 401 means the sign-in screen.
  useEffect(() => {
    api<SessionView>('GET', '/auth/me')
      .then(setSession, (error: unknown) => {
        if (!(error instanceof ApiError)) return;
        setSession(undefined);
      })
      .finally(() => setChecked(true));
  }, []);

  // A session the station no longer knows (it restarted): sign in again, then carry on where the hash says.
  useEffect(() => onSessionLost(() => setSession(undefined)), []);

  // The status bar's devices, queue and central, and the connection banner's "back again".
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        setHealth(await api<HealthView>('GET', '/health'));
      } catch {
        // The banner shows the lost connection; the next poll tries again.
      }
      if (!stopped) timer = setTimeout(poll, HEALTH_EVERY_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const shared: Shared = useMemo(
    () => ({ lang, t: translator(lang), setLang, session, setSession, health }),
    [lang, setLang, session, health],
  );
  const job = JOBS.find((candidate) => route.startsWith(candidate.route));
  let screen = null;
  if (!checked) screen = null;
  else if (session === undefined) screen = <SignIn />;
  else if (session.session.state === 'locked') screen = <Lock session={session} />;
  else if (job === undefined) screen = <Home jobs={JOBS} />;
  else if (!job.roles.some((role) => session.account.roles.includes(role))) screen = <Home jobs={JOBS} />;
  else screen = <job.component path={route.slice(job.route.length)} />;
  return (
    <SharedContext.Provider value={shared}>
      <a class="skip-link" href="#main">
        {shared.t('app.skipToContent')}
      </a>
      <StatusBar />
      <ConnectionBanner />
      {screen}
    </SharedContext.Provider>
  );
}
