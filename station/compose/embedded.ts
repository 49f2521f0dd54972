/**
 * The composition root: turns a configuration into real or simulated devices, the central link and
 * the outbox, ready for buildStation. The only production module that imports simulators/ (for the
 * embedded simulated default); native device packages load lazily, only when configured.
 */
import type { Device } from '../../drivers/device.ts';
import { HotplugMonitor } from '../../drivers/hotplug/hotplug-monitor.ts';
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import { startCentralSimulator } from '../../simulators/central/server.ts';
import { SimulatedUsbBus } from '../../simulators/hotplug/simulated-hotplug.ts';
import type { StationDeps } from '../app.ts';
import { HttpCentralLink } from '../central/link.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import { SpoolOutboxStatus } from '../outbox/status.ts';
import { STATION_VERSION } from '../version.ts';

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

  switch (config.devices.hotplug.mode) {
    case 'simulated': {
      const bus = new SimulatedUsbBus();
      devices.push(new HotplugMonitor(bus, 'simulated'));
      simulators.push(bus);
      break;
    }
    case 'hardware': {
      const { NativeUsbHotplug } = await import('../../drivers/hotplug/native-usb.ts');
      devices.push(new HotplugMonitor(new NativeUsbHotplug(), 'hardware'));
      break;
    }
    case 'disabled':
      break;
  }

  let centralUrl: string;
  if (config.central.mode === 'embedded') {
    const central = await startCentralSimulator({
      environment: config.environment,
      version: STATION_VERSION,
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

  return {
    config,
    devices,
    clock: options.clock,
    central,
    outbox,
    simulators,
    resources,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}
