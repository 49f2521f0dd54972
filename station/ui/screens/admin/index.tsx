/**
 * The administrator's screens (issue 22): devices with their state and, in the test environment,
 * their simulators' scenarios; the outbox (queue, progress, offline time, export to removable
 * media, receipts back); officer accounts; the audit trail's verification. One tab bar over them;
 * Alt+1..4 switch tabs from anywhere in the area.
 */
import type { ComponentType } from 'preact';
import { useEffect } from 'preact/hooks';
import type { MessageKey } from '../../i18n/index.ts';
import type { Job } from '../../jobs.ts';
import { useShared } from '../../state.ts';
import './admin.css';
import { AuditScreen } from './audit.tsx';
import { DevicesScreen } from './devices.tsx';
import { OutboxScreen } from './outbox.tsx';
import { UsersScreen } from './users.tsx';

const ROUTE = '/admin';

interface Tab {
  readonly path: string;
  readonly label: MessageKey;
  readonly screen: ComponentType;
}

const TABS: readonly Tab[] = [
  { path: '/devices', label: 'admin.tab.devices', screen: DevicesScreen },
  { path: '/outbox', label: 'admin.tab.outbox', screen: OutboxScreen },
  { path: '/users', label: 'admin.tab.users', screen: UsersScreen },
  { path: '/audit', label: 'admin.tab.audit', screen: AuditScreen },
];

function AdminArea({ path }: { path: string }) {
  const { t } = useShared();
  const current = TABS.find((tab) => path.startsWith(tab.path)) ?? TABS[0];
  useEffect(() => {
    const shortcut = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const index = Number.parseInt(event.key, 10) - 1;
      const tab = TABS[index];
      if (tab === undefined) return;
      event.preventDefault();
      location.hash = `#${ROUTE}${tab.path}`;
    };
    addEventListener('keydown', shortcut);
    return () => removeEventListener('keydown', shortcut);
  }, []);
  if (current === undefined) return null;
  const Screen = current.screen;
  return (
    <main id="main" class="screen admin">
      <div class="admin-head">
        <h1>{t('admin.title')}</h1>
        <a class="admin-home" href="#/">
          {t('admin.back')}
        </a>
      </div>
      <nav class="admin-tabs" aria-label={t('admin.tabs')}>
        <ul>
          {TABS.map((tab, index) => (
            <li key={tab.path}>
              <a
                href={`#${ROUTE}${tab.path}`}
                aria-current={tab === current ? 'page' : undefined}
                aria-keyshortcuts={`Alt+${index + 1}`}
              >
                {t(tab.label)}
              </a>
            </li>
          ))}
        </ul>
        <p class="note admin-shortcuts">{t('admin.shortcuts')}</p>
      </nav>
      <Screen />
    </main>
  );
}

export const adminJob: Job = {
  route: ROUTE,
  roles: ['admin'],
  title: 'home.admin',
  hint: 'home.admin.hint',
  component: AdminArea,
};
