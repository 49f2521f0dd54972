/** The top bar: every device with its state, the upload queue and central, and the language switch. */
import type { MessageKey } from '../i18n/index.ts';
import { type DeviceView, useShared } from '../state.ts';
import { clockTime, minutesSince, percent, useUploads } from './uploads.ts';

const STATUS_KEYS: Readonly<Record<string, MessageKey>> = {
  ready: 'devices.status.ready',
  opening: 'devices.status.opening',
  disconnected: 'devices.status.disconnected',
  error: 'devices.status.error',
  closed: 'devices.status.closed',
};

function familyKey(family: string): MessageKey | undefined {
  const key = `devices.family.${family}`;
  return key in FAMILY_KEYS ? (key as MessageKey) : undefined;
}
const FAMILY_KEYS: Readonly<Record<string, true>> = {
  'devices.family.fingerprint-hid': true,
  'devices.family.fingerprint-serial': true,
  'devices.family.camera': true,
  'devices.family.card-reader': true,
  'devices.family.barcode': true,
  'devices.family.hotplug': true,
};

function DeviceChip({ device }: { device: DeviceView }) {
  const { t } = useShared();
  const name = familyKey(device.family);
  const statusKey = STATUS_KEYS[device.state.status];
  const status = statusKey === undefined ? device.state.status : t(statusKey);
  const label = `${name === undefined ? device.id : t(name)}: ${status}${device.mode === 'simulated' ? ` (${t('devices.simulated')})` : ''}`;
  return (
    <li
      class={`device device-${device.state.status}`}
      data-device={device.id}
      title={device.state.message ?? device.state.reason ?? ''}
    >
      <span class="device-dot" aria-hidden="true" />
      {label}
    </li>
  );
}

/**
 * The upload indicator: packets waiting (the stream's count once it arrives, /health's before),
 * central's state with since when it is offline, and each packet being sent with its progress.
 */
function UploadIndicator() {
  const { t, lang, health, session } = useShared();
  const uploads = useUploads(session?.session.state === 'active');
  const depth = uploads.state?.queueDepth ?? health?.outbox?.depth;
  const offlineSince = uploads.state?.offlineSince ?? null;
  const reachable = uploads.state === undefined ? health?.central?.reachable : uploads.state.online;
  const central =
    offlineSince !== null
      ? t('outbox.central.offlineSince', {
          time: clockTime(offlineSince, lang),
          minutes: minutesSince(offlineSince),
        })
      : reachable === undefined
        ? t('outbox.central.unknown')
        : reachable
          ? t('outbox.central.ok')
          : t('outbox.central.offline');
  const sending = [...uploads.progress].slice(0, 2);
  return (
    <div
      class="outbox"
      role="status"
      aria-label={t('outbox.label')}
      data-outbox-depth={depth ?? ''}
      data-central={reachable === undefined ? '' : reachable ? 'online' : 'offline'}
    >
      <span>
        {depth === undefined ? '' : depth === 0 ? t('outbox.empty') : t('outbox.depth', { count: depth })}
      </span>
      <span class={reachable === false ? 'central-offline' : 'central'}>{central}</span>
      {sending.map(([packetId, progress]) => (
        <span key={packetId} class="outbox-sending">
          <progress
            max={100}
            value={percent(progress)}
            aria-label={t('outbox.sending', { id: packetId.slice(0, 8), percent: percent(progress) })}
          />
          {t('outbox.sending', { id: packetId.slice(0, 8), percent: percent(progress) })}
        </span>
      ))}
    </div>
  );
}

export function StatusBar() {
  const { t, lang, setLang, health } = useShared();
  return (
    <header class="status-bar">
      <div class="brand">{t('app.title')}</div>
      <nav aria-label={t('devices.label')} class="devices">
        <ul>
          {(health?.devices ?? []).map((device) => (
            <DeviceChip key={device.id} device={device} />
          ))}
        </ul>
      </nav>
      <UploadIndicator />
      <button
        type="button"
        class="lang-switch"
        lang={lang === 'vi' ? 'en' : 'vi'}
        title={t('lang.switchLabel')}
        onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}
      >
        {t('lang.switch')}
      </button>
    </header>
  );
}
