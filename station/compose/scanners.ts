/**
 * The fingerprint scanners from the configuration: the FPSCAN HID scanner and the R30x serial
 * module, each simulated (with its simulator's control surface), on hardware, or left out.
 *
 * Simulated scanners get a device CA and device credentials minted at startup, so the production
 * driver checks real certificates and signatures against a trust store holding only that CA.
 */
import { readFileSync } from 'node:fs';
import { HidFingerprintScanner } from '../../drivers/fingerprint/hid-scanner.ts';
import { R30xFingerprintScanner } from '../../drivers/fingerprint/r30x-scanner.ts';
import type { FingerprintScanner } from '../../drivers/fingerprint/scanner.ts';
import { DeviceTrustStore } from '../../drivers/fingerprint/trust.ts';
import type { HotplugPort } from '../../drivers/hotplug/port.ts';
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import type { SimulatedUsbBus } from '../../simulators/hotplug/simulated-hotplug.ts';
import { createDeviceCa, issueDeviceCertificate } from '../../simulators/pki/device-ca.ts';
import { SIM_SLAP_SCANNER, SimulatedHidScanner } from '../../simulators/scanner/hid-scanner-sim.ts';
import type { PrintRenderer } from '../../simulators/scanner/print-render.ts';
import { SimulatedR30xModule } from '../../simulators/scanner/r30x-sim.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';

export const HID_SCANNER_ID = 'scanner-hid';
export const SERIAL_SCANNER_ID = 'scanner-serial';

export interface ScannerParts {
  readonly scanners: FingerprintScanner[];
  readonly simulators: SimulatorControl[];
}

export interface ScannerCompositionOptions {
  readonly clock: Clock;
  /** The hot-plug port the HID scanner listens to for re-plug, when hot-plug is on. */
  readonly hotplug?: HotplugPort;
  /** The simulated USB bus, when hot-plug is simulated: a simulated scanner plugs into it. */
  readonly usb?: SimulatedUsbBus;
  /** Where the simulated HID scanner renders its prints (a station passes a worker renderer). */
  readonly printRenderer?: PrintRenderer;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads the device CAs a hardware HID scanner's certificate must chain to.
 * @throws {ConfigError} CONFIG_UNREADABLE when the file cannot be read; CONFIG_INVALID when it holds
 *   no PEM certificate or one that does not parse.
 */
export function readTrustAnchors(file: string): DeviceTrustStore {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      undefined,
      [{ key: '/devices/fingerprintHid/trustAnchors', message: `${file} cannot be read (${String(cause)})` }],
      { cause },
    );
  }
  const pems = text.match(PEM_CERTIFICATE) ?? [];
  const problem = (message: string, cause?: unknown) =>
    new ConfigError(
      'CONFIG_INVALID',
      undefined,
      [{ key: '/devices/fingerprintHid/trustAnchors', message }],
      cause === undefined ? undefined : { cause },
    );
  if (pems.length === 0) throw problem(`${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  try {
    return new DeviceTrustStore(pems);
  } catch (cause) {
    throw problem(`${file} holds a certificate that does not parse: ${String(cause)}`, cause);
  }
}

/** Builds the configured scanners (not opened: buildStation opens every device). */
export async function composeScanners(
  config: StationConfig,
  options: ScannerCompositionOptions,
): Promise<ScannerParts> {
  const scanners: FingerprintScanner[] = [];
  const simulators: SimulatorControl[] = [];
  const hid = config.devices.fingerprintHid;
  const now = () => options.clock.now();

  if (hid.mode === 'simulated') {
    const ca = await createDeviceCa('Simulated Scanner Vendor Device CA');
    const { info } = SIM_SLAP_SCANNER;
    const credentials = await issueDeviceCertificate(ca, { model: info.model, serialNumber: info.serial });
    const device = new SimulatedHidScanner({
      ...credentials,
      ...(options.usb === undefined ? {} : { usb: options.usb }),
      ...(options.printRenderer === undefined ? {} : { renderer: options.printRenderer }),
      ...(hid.simulatedFingerDelayMs === undefined ? {} : { fingerDelayMs: hid.simulatedFingerDelayMs }),
    });
    simulators.push(device);
    scanners.push(
      new HidFingerprintScanner({
        id: HID_SCANNER_ID,
        mode: 'simulated',
        bus: device,
        match: { vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId },
        trust: new DeviceTrustStore([ca.certificate]),
        now,
        ...(options.hotplug === undefined ? {} : { hotplug: options.hotplug }),
      }),
    );
  } else if (hid.mode === 'hardware') {
    // parseConfig guarantees trustAnchors and a way to find the scanner in hardware mode.
    const trust = readTrustAnchors(hid.trustAnchors ?? '');
    const { NativeHidBus } = await import('../../drivers/fingerprint/native-hid.ts');
    scanners.push(
      new HidFingerprintScanner({
        id: HID_SCANNER_ID,
        mode: 'hardware',
        bus: new NativeHidBus({ reportSize: hid.reportSize }),
        match: {
          ...(hid.path === undefined ? {} : { path: hid.path }),
          ...(hid.vendorId === undefined ? {} : { vendorId: hid.vendorId }),
          ...(hid.productId === undefined ? {} : { productId: hid.productId }),
        },
        trust,
        now,
        ...(options.hotplug === undefined ? {} : { hotplug: options.hotplug }),
      }),
    );
  }

  const serial = config.devices.fingerprintSerial;
  const serialSettings = {
    id: SERIAL_SCANNER_ID,
    baudRate: serial.baudRate,
    address: serial.address,
    password: serial.password,
  };
  if (serial.mode === 'simulated') {
    const module = new SimulatedR30xModule({ address: serial.address, password: serial.password });
    simulators.push(module);
    scanners.push(
      new R30xFingerprintScanner({ ...serialSettings, mode: 'simulated', opener: module, path: module.path }),
    );
  } else if (serial.mode === 'hardware') {
    const { NativeSerialOpener } = await import('../../drivers/fingerprint/native-serial.ts');
    scanners.push(
      new R30xFingerprintScanner({
        ...serialSettings,
        mode: 'hardware',
        opener: new NativeSerialOpener(),
        // parseConfig guarantees the path in hardware mode.
        path: serial.path ?? '',
      }),
    );
  }
  return { scanners, simulators };
}
