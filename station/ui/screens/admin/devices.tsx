/**
 * Devices: each with its family, mode and state (from /health, as the status bar), and in the test
 * environment the simulators behind them (GET /sim/) with their scenario switchable at run time
 * (PUT /sim/:name/scenario; a card's scenario applies to the next card put in, or now on request).
 */
import { useState } from 'preact/hooks';
import { ApiError, api, officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { type DeviceView, useShared } from '../../state.ts';
import { useStation } from './use-station.ts';

interface Simulator {
  readonly name: string;
  readonly scenario: string;
  readonly scenarios: readonly string[];
  readonly scenarioTiming?: 'now' | 'next-insertion';
}

const STATUS: Readonly<Record<string, MessageKey>> = {
  ready: 'devices.status.ready',
  opening: 'devices.status.opening',
  disconnected: 'devices.status.disconnected',
  error: 'devices.status.error',
  closed: 'devices.status.closed',
};

const FAMILY: Readonly<Record<string, MessageKey>> = {
  'fingerprint-hid': 'devices.family.fingerprint-hid',
  'fingerprint-serial': 'devices.family.fingerprint-serial',
  camera: 'devices.family.camera',
  'card-reader': 'devices.family.card-reader',
  barcode: 'devices.family.barcode',
  hotplug: 'devices.family.hotplug',
};

const SIMULATOR: Readonly<Record<string, MessageKey>> = {
  usb: 'admin.sim.name.usb',
  'scanner-hid': 'admin.sim.name.scanner-hid',
  'scanner-serial': 'admin.sim.name.scanner-serial',
  camera: 'admin.sim.name.camera',
  card: 'admin.sim.name.card',
  pcsc: 'admin.sim.name.pcsc',
  barcode: 'admin.sim.name.barcode',
  applicant: 'admin.sim.name.applicant',
};

/** A device's detail as `key=value` pairs: technical facts (model, ppi, serial) for the administrator. */
function detailOf(device: DeviceView): string {
  const detail = (device.state as { detail?: unknown }).detail;
  if (typeof detail !== 'object' || detail === null) return '';
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' · ');
}

function DeviceRow({ device }: { device: DeviceView }) {
  const { t } = useShared();
  const family = FAMILY[device.family];
  const status = STATUS[device.state.status];
  const reason = device.state.message ?? device.state.reason;
  return (
    <tr data-device-row={device.id}>
      <th scope="row">
        {family === undefined ? device.family : t(family)}
        <div class="admin-sub">
          <code>{device.id}</code>
        </div>
      </th>
      <td>{device.mode === 'simulated' ? t('admin.devices.simulated') : t('admin.devices.real')}</td>
      <td>
        <span class={`admin-state admin-state-${device.state.status}`}>
          {status === undefined ? device.state.status : t(status)}
        </span>
        {reason === undefined ? null : <div class="admin-sub">{reason}</div>}
      </td>
      <td>
        <code class="admin-detail">{detailOf(device)}</code>
      </td>
    </tr>
  );
}

function SimulatorCard({ simulator, onChanged }: { simulator: Simulator; onChanged: () => Promise<void> }) {
  const { t, lang } = useShared();
  const [scenario, setScenario] = useState(simulator.scenario);
  const [applyNow, setApplyNow] = useState(false);
  const [done, setDone] = useState<string | undefined>(undefined);
  const nextInsertion = simulator.scenarioTiming === 'next-insertion';
  const switchScenario = useAction(async () => {
    setDone(undefined);
    const answer = await api<{ scenario: string; appliesFrom: 'now' | 'next-insertion' }>(
      'PUT',
      `/sim/${encodeURIComponent(simulator.name)}/scenario`,
      { scenario, ...(nextInsertion && applyNow ? { applyNow: true } : {}) },
    );
    setDone(
      answer.appliesFrom === 'now'
        ? t('admin.sim.appliedNow', { scenario: answer.scenario })
        : t('admin.sim.appliesNext', { scenario: answer.scenario }),
    );
    await onChanged();
  });
  const title = SIMULATOR[simulator.name];
  const id = `sim-${simulator.name}`;
  return (
    <li class="card admin-sim" data-simulator={simulator.name}>
      <h3>{title === undefined ? simulator.name : t(title)}</h3>
      <p>
        {t('admin.sim.current')} <code data-current-scenario>{simulator.scenario}</code>
      </p>
      {simulator.scenarios.length < 2 ? (
        <p class="note">{t('admin.sim.onlyOne')}</p>
      ) : (
        <form
          class="admin-inline"
          onSubmit={(event) => {
            event.preventDefault();
            void switchScenario.run();
          }}
        >
          <div class="field">
            <label for={`${id}-scenario`}>{t('admin.sim.scenario')}</label>
            <select
              id={`${id}-scenario`}
              value={scenario}
              onChange={(event) => setScenario((event.currentTarget as HTMLSelectElement).value)}
            >
              {simulator.scenarios.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          {nextInsertion ? (
            <label class="admin-check">
              <input
                type="checkbox"
                checked={applyNow}
                onChange={(event) => setApplyNow((event.currentTarget as HTMLInputElement).checked)}
              />
              {t('admin.sim.applyNow')}
            </label>
          ) : null}
          <button
            type="submit"
            class="secondary"
            disabled={switchScenario.busy}
            aria-busy={switchScenario.busy}
          >
            {t('admin.sim.switch')}
          </button>
        </form>
      )}
      {done === undefined ? null : (
        <p class="admin-ok" role="status">
          {done}
        </p>
      )}
      {switchScenario.error === undefined ? null : (
        <p class="form-error" role="alert">
          {officerMessage(switchScenario.error, lang)}
        </p>
      )}
    </li>
  );
}

export function DevicesScreen() {
  const { t, health } = useShared();
  const simulators = useStation<{ simulators: readonly Simulator[] }>('/sim/');
  // /sim/ exists only in the test environment: a 404 means a real station, with nothing to switch.
  const noSimulators = simulators.error instanceof ApiError && simulators.error.status === 404;
  return (
    <section aria-labelledby="admin-devices-title">
      <h2 id="admin-devices-title">{t('admin.devices.title')}</h2>
      <table class="admin-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.devices.device')}</th>
            <th scope="col">{t('admin.devices.mode')}</th>
            <th scope="col">{t('admin.devices.state')}</th>
            <th scope="col">{t('admin.devices.detail')}</th>
          </tr>
        </thead>
        <tbody>
          {(health?.devices ?? []).map((device) => (
            <DeviceRow key={device.id} device={device} />
          ))}
        </tbody>
      </table>
      <h2>{t('admin.sim.title')}</h2>
      {health?.environment === 'production' || noSimulators ? (
        <p class="note">{t('admin.sim.none')}</p>
      ) : (
        <>
          <p class="note">{t('admin.sim.hint')}</p>
          <ul class="admin-sims">
            {(simulators.data?.simulators ?? []).map((simulator) => (
              <SimulatorCard key={simulator.name} simulator={simulator} onChanged={simulators.reload} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
