/**
 * The 2D barcode scanner from the configuration (`devices.barcode`): a BarcodeScanner driver over the
 * native serial or keyboard-wedge adapter (hardware), or over the simulated scanner (simulated), with
 * the simulator's control surface mounted as /sim/barcode; or nothing (disabled).
 *
 * The simulated scanner speaks the configured `kind` (serial bytes, or keyboard reports through the
 * production HID decoder) with the configured framing, so a tester drives the same decoding path a
 * hardware scanner of that kind would take. Native packages load only in hardware mode.
 */
import type { LineQueueOptions } from '../../drivers/barcode/line-queue.ts';
import type { BarcodeOpener } from '../../drivers/barcode/port.ts';
import { BarcodeScanner } from '../../drivers/barcode/scanner.ts';
import { SimulatorActionError, type SimulatorControl } from '../../drivers/sim-control.ts';
import {
  BARCODE_SIM_SCENARIOS,
  BarcodeScannerSim,
  type BarcodeSimScenario,
  type BarcodeSuffix,
} from '../../simulators/barcode/scanner-sim.ts';
import { SAMPLE_PERSON } from '../../simulators/card/lds-builder.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';

/** The scanner's device id in /devices, /health and `station qr scan --device`. */
export const BARCODE_SCANNER_ID = 'barcode';
/** The simulator's name under /sim/. */
export const BARCODE_SIM_NAME = 'barcode';
/** The longest text the simulator's `scan` action takes, characters (a CCCD code is about 120). */
export const MAX_SIM_SCAN_CHARS = 4000;

export interface BarcodeParts {
  readonly scanner: BarcodeScanner | undefined;
  readonly simulator: SimulatorControl | undefined;
}

/** DG13 field `fieldNo` of the sample citizen as one string ('' when absent). */
function sampleField(fieldNo: number): string {
  const value = SAMPLE_PERSON.dg13.find((f) => f.fieldNo === fieldNo)?.value ?? '';
  return typeof value === 'string' ? value : value.join(', ');
}

/**
 * The QR text printed on the simulated chip card's front (the simulated reader's card, SAMPLE_PERSON):
 * ID|old ID|name|birth ddMMyyyy|sex|address|issue ddMMyyyy, from its DG13, so the key the station
 * derives from it opens that card's chip.
 */
export function sampleCardQrText(): string {
  const ddmmyyyy = (text: string) => text.replaceAll('/', '');
  return [
    sampleField(1),
    sampleField(15),
    sampleField(2),
    ddmmyyyy(sampleField(3)),
    sampleField(4),
    sampleField(9),
    ddmmyyyy(sampleField(11)),
  ].join('|');
}

/**
 * The simulated scanner's control surface: scenarios (normal, no-suffix, legacy-codepage, unplugged)
 * and actions `scan { text }` (the scanner reads a code with this text) and `scan-card` (it reads the
 * QR code of the simulated chip card).
 */
export function barcodeSimControl(sim: BarcodeScannerSim): SimulatorControl {
  const scan = async (text: string) => {
    if (sim.scenario === 'unplugged')
      throw new SimulatorActionError(
        'SCANNER_UNPLUGGED',
        'The simulated barcode scanner is unplugged (scenario "unplugged"): switch to "normal" first',
      );
    await sim.scan(text);
    return { scanned: text, bytes: new TextEncoder().encode(text).length, scenario: sim.scenario };
  };
  return {
    name: BARCODE_SIM_NAME,
    description: `simulated 2D barcode scanner (${sim.transport === 'hid' ? 'USB keyboard wedge' : 'serial / USB-COM'}); a scan reaches whoever waits on POST /devices/${BARCODE_SCANNER_ID}/scan`,
    scenarios: BARCODE_SIM_SCENARIOS,
    scenario: () => sim.scenario,
    setScenario: (name) => {
      if (!(BARCODE_SIM_SCENARIOS as readonly string[]).includes(name))
        throw new RangeError(`barcode scenario ${JSON.stringify(name)}`);
      sim.setScenario(name as BarcodeSimScenario);
    },
    actions: [
      {
        name: 'scan',
        description: 'the scanner reads a code holding `text` (delivered as the hardware would send it)',
        input: {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: { text: { type: 'string', minLength: 1, maxLength: MAX_SIM_SCAN_CHARS } },
        },
        run: (input) => scan((input as { text: string }).text),
      },
      {
        name: 'scan-card',
        description: "the scanner reads the QR code on the simulated chip card's front",
        input: { type: 'object', additionalProperties: false, properties: {} },
        run: () => scan(sampleCardQrText()),
      },
    ],
    snapshot: () => ({ transport: sim.transport, scenario: sim.scenario, path: sim.describe }),
  };
}

/**
 * Builds the configured barcode scanner (not opened: buildStation opens every device).
 * @throws {RangeError} for framing bounds the schema let through but the driver refuses (a defect).
 */
export async function composeBarcode(
  config: StationConfig,
  options: { readonly clock: Clock },
): Promise<BarcodeParts> {
  const settings = config.devices.barcode;
  if (settings.mode === 'disabled') return { scanner: undefined, simulator: undefined };
  const framing: LineQueueOptions = {
    terminators: settings.terminators,
    maxLineBytes: settings.maxLineBytes,
    partialLineMs: settings.partialLineMs,
    idleEndsLine: settings.idleEndsLine,
    ...(settings.reportId === undefined ? {} : { reportId: settings.reportId }),
  };
  let opener: BarcodeOpener;
  let simulator: SimulatorControl | undefined;
  if (settings.mode === 'simulated') {
    // The simulated scanner's suffix is one the configured framing ends lines on.
    const suffix: BarcodeSuffix = settings.terminators.includes('CR')
      ? 'CR'
      : settings.terminators.includes('TAB')
        ? 'TAB'
        : 'CRLF';
    const sim = new BarcodeScannerSim({ ...framing, transport: settings.kind, suffix });
    opener = sim;
    simulator = barcodeSimControl(sim);
  } else if (settings.kind === 'serial') {
    const { NativeSerialBarcodeOpener } = await import('../../drivers/barcode/native-serial.ts');
    // parseConfig guarantees the path of a serial scanner in hardware mode.
    opener = new NativeSerialBarcodeOpener({
      ...framing,
      path: settings.path ?? '',
      baudRate: settings.baudRate,
    });
  } else {
    const { NativeHidBarcodeOpener } = await import('../../drivers/barcode/native-hid.ts');
    opener = new NativeHidBarcodeOpener({
      ...framing,
      ...(settings.path === undefined ? {} : { path: settings.path }),
      ...(settings.vendorId === undefined ? {} : { vendorId: settings.vendorId }),
      ...(settings.productId === undefined ? {} : { productId: settings.productId }),
    });
  }
  const scanner = new BarcodeScanner({
    id: BARCODE_SCANNER_ID,
    mode: settings.mode,
    opener,
    watchMs: settings.watchMs,
    now: () => options.clock.now(),
  });
  return { scanner, simulator };
}
