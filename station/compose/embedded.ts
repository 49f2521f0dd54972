/**
 * The composition root: turns a configuration into real or simulated devices, the central link and
 * the outbox, ready for buildStation. The only production module that imports simulators/ (for the
 * embedded simulated default); native device packages load lazily, only when configured.
 */
import path from 'node:path';
import type { Device } from '../../drivers/device.ts';
import { HotplugMonitor } from '../../drivers/hotplug/hotplug-monitor.ts';
import type { HotplugPort } from '../../drivers/hotplug/port.ts';
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import { startCentralSimulator } from '../../simulators/central/server.ts';
import { SimulatedUsbBus } from '../../simulators/hotplug/simulated-hotplug.ts';
import { SIM_SLAP_SCANNER } from '../../simulators/scanner/hid-scanner-sim.ts';
import type { StationDeps } from '../app.ts';
import { HttpCentralLink } from '../central/link.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import { Hotpath } from '../hotpath/hotpath.ts';
import { SpoolOutboxStatus } from '../outbox/status.ts';
import { STATION_VERSION } from '../version.ts';
import { composeCardReader } from './cards.ts';
import { composeScanners } from './scanners.ts';

export interface ComposeOptions {
  readonly clock: Clock;
  readonly logger?: StationDeps['logger'];
}

/**
 * @throws the fs error when the data directory cannot be created; the listen error when the embedded
 *   central simulator cannot bind loopback.
 */
export async function composeStation(config: StationConfig, options: ComposeOptions): Promise<StationDeps> {
  const devices: Device[] = [];
  const simulators: SimulatorControl[] = [];
  const resources: { close(): Promise<void> }[] = [];

  const outbox = new SpoolOutboxStatus(config.dataDir);
  await outbox.prepare();

  let hotplug: HotplugPort | undefined;
  let usb: SimulatedUsbBus | undefined;
  switch (config.devices.hotplug.mode) {
    case 'simulated': {
      // A simulated HID scanner starts out plugged into the simulated bus.
      usb = new SimulatedUsbBus(
        config.devices.fingerprintHid.mode === 'simulated'
          ? [{ vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId }]
          : [],
      );
      hotplug = usb;
      devices.push(new HotplugMonitor(usb, 'simulated'));
      simulators.push(usb);
      break;
    }
    case 'hardware': {
      const { NativeUsbHotplug } = await import('../../drivers/hotplug/native-usb.ts');
      hotplug = new NativeUsbHotplug();
      devices.push(new HotplugMonitor(hotplug, 'hardware'));
      break;
    }
    case 'disabled':
      break;
  }

  const scanners = await composeScanners(config, {
    clock: options.clock,
    ...(hotplug === undefined ? {} : { hotplug }),
    ...(usb === undefined ? {} : { usb }),
  });
  devices.push(...scanners.scanners);
  simulators.push(...scanners.simulators);

  const cards = await composeCardReader(config);
  if (cards.reader) devices.push(cards.reader);
  simulators.push(...cards.simulators);

  let centralUrl: string;
  if (config.central.mode === 'embedded') {
    const central = await startCentralSimulator({
      environment: config.environment,
      version: STATION_VERSION,
      // Its key is minted once and kept here: queued packets stay decryptable across restarts.
      dataDir: path.join(config.dataDir, 'central'),
    });
    resources.push(central);
    centralUrl = central.url;
  } else {
    // The schema requires url when mode is remote.
    centralUrl = config.central.url ?? '';
  }
  const central = new HttpCentralLink({
    url: centralUrl,
    mode: config.central.mode,
    environment: config.environment,
    timeoutMs: config.central.timeoutMs,
    clock: options.clock,
  });

  const hotpath = new Hotpath({
    ...(config.hotpath.workers === 0 ? {} : { workers: config.hotpath.workers }),
    hardLimitMs: config.hotpath.hardLimitMs,
  });
  resources.push(hotpath);

  return {
    config,
    devices,
    hotpath,
    ...(cards.reader === undefined ? {} : { cards: { reader: cards.reader, trustStore: cards.trustStore } }),
    clock: options.clock,
    central,
    outbox,
    simulators,
    resources,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}
