import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BusyError,
  CanceledError,
  DeviceReportedError,
  DeviceTimeoutError,
  DisconnectedError,
  IntegrityError,
} from '../../../drivers/errors.ts';
import { HidFingerprintScanner } from '../../../drivers/fingerprint/hid-scanner.ts';
import type { CapturedImage, CaptureEvent } from '../../../drivers/fingerprint/scanner.ts';
import { DeviceTrustStore } from '../../../drivers/fingerprint/trust.ts';
import { renderFinger, renderSlap } from '../../../simulators/fingerprint/generator.ts';
import { SimulatedUsbBus } from '../../../simulators/hotplug/simulated-hotplug.ts';
import { createDeviceCa, type DeviceCa, issueDeviceCertificate } from '../../../simulators/pki/device-ca.ts';
import {
  SIM_SLAP_SCANNER,
  SimulatedHidScanner,
  slapPlacement,
} from '../../../simulators/scanner/hid-scanner-sim.ts';

const NOW = Date.UTC(2026, 10, 22);
let ca: DeviceCa;
let otherCa: DeviceCa;
let open: HidFingerprintScanner[] = [];

beforeAll(async () => {
  ca = await createDeviceCa('Sim Vendor Device CA');
  otherCa = await createDeviceCa('Someone Else CA');
});

afterEach(async () => {
  for (const s of open) await s.close();
  open = [];
});

async function rig(
  options: {
    trust?: DeviceCa;
    timeouts?: { keepaliveMs?: number };
    /** Give the driver the bus's hot-plug events (default true). */
    hotplug?: boolean;
    watchMs?: number;
    /** Find the scanner by its path, not its USB ids. */
    byPath?: boolean;
  } = {},
) {
  const credentials = await issueDeviceCertificate(ca, { model: 'SIM-FAP60', serialNumber: 'SIM60-000001' });
  const usb = new SimulatedUsbBus([
    { vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId },
  ]);
  const device = new SimulatedHidScanner({ ...credentials, usb, personSeed: 5 });
  const scanner = new HidFingerprintScanner({
    id: 'scanner-hid',
    mode: 'simulated',
    bus: device,
    match: options.byPath
      ? { path: device.path }
      : { vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId },
    trust: new DeviceTrustStore([(options.trust ?? ca).certificate]),
    now: () => NOW,
    ...(options.hotplug === false ? {} : { hotplug: usb }),
    ...(options.watchMs === undefined ? {} : { watchMs: options.watchMs }),
    timeouts: options.timeouts,
  });
  open.push(scanner);
  await scanner.open();
  return { device, scanner, usb };
}

/** Waits until `condition` holds; fails after `withinMs`. */
async function until(condition: () => boolean, withinMs: number): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function capture(
  scanner: HidFingerprintScanner,
  mode: CapturedImage['mode'],
  extra: { preview?: boolean; signal?: AbortSignal; timeoutMs?: number } = {},
) {
  const events: CaptureEvent[] = [];
  for await (const event of scanner.capture({ mode, timeoutMs: extra.timeoutMs ?? 5000, ...extra }))
    events.push(event);
  const last = events.at(-1);
  if (last?.type !== 'result') throw new Error('no result');
  return { image: last.image, events };
}

describe('FPSCAN HID scanner against the simulator', () => {
  it('opens, reads its info and verifies its certificate', async () => {
    const { scanner } = await rig();
    expect(scanner.state()).toMatchObject({
      status: 'ready',
      detail: { model: 'SIM-FAP60', serial: 'SIM60-000001', ppi: 500 },
    });
    expect(scanner.info()?.modes).toEqual(['flat-single', 'slap-left', 'slap-right', 'two-thumbs']);
    expect(scanner.describe()).toMatchObject({
      model: 'SIM-FAP60',
      use: 'enrollment',
      certificateSubject: expect.stringContaining('SIM60-000001'),
    });
  });

  it.each([
    ['flat-single', 500, 500],
    ['slap-right', 1600, 1500],
    ['slap-left', 1600, 1500],
    ['two-thumbs', 1600, 1500],
  ] as const)('captures %s: a verified %ix%i image at 500 ppi', async (mode, width, height) => {
    const { scanner } = await rig();
    const { image, events } = await capture(scanner, mode, { preview: true });
    expect(image).toMatchObject({ mode, width, height, ppi: 500, use: 'enrollment' });
    expect(image.attestation?.nonce).toHaveLength(32);
    expect(image.attestation?.signature.length).toBeGreaterThan(60);
    expect(image.pixels).toHaveLength(width * height);
    // A print, not a blank: real ink covers a good part of the image.
    expect(image.pixels.filter((v) => v < 128).length).toBeGreaterThan(width * height * 0.05);
    expect(events.filter((e) => e.type === 'preview').length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && e.status)).toContain(
      'processing',
    );
    const preview = events.find((e) => e.type === 'preview');
    expect(preview?.type === 'preview' && preview.preview.width).toBe(Math.floor(width / 4));
  });

  it('refuses a scanner whose certificate is not from a trusted CA', async () => {
    const { scanner } = await rig({ trust: otherCa });
    expect(scanner.state()).toMatchObject({ status: 'error', code: 'DEVICE_UNTRUSTED' });
    // No image is ever taken from it: the driver will not capture from an untrusted device.
    await expect(capture(scanner, 'flat-single')).rejects.toMatchObject({ code: 'DEVICE_UNAVAILABLE' });
  });

  it('gives a second caller a BusyError while a capture runs', async () => {
    const { scanner } = await rig();
    const first = capture(scanner, 'flat-single');
    await new Promise((r) => setTimeout(r, 20));
    await expect(capture(scanner, 'flat-single')).rejects.toBeInstanceOf(BusyError);
    await expect(first).resolves.toMatchObject({ image: { mode: 'flat-single' } });
  });

  it('cancels through the AbortSignal, and the next capture works', async () => {
    const { scanner, device } = await rig();
    device.setScenario('no-finger');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(capture(scanner, 'flat-single', { signal: controller.signal })).rejects.toBeInstanceOf(
      CanceledError,
    );
    device.setScenario('good');
    await expect(capture(scanner, 'flat-single')).resolves.toMatchObject({ image: { width: 500 } });
  });

  it.each([
    ['no-finger', DeviceReportedError, 'NO_FINGER_TIMEOUT'],
    ['busy', DeviceReportedError, 'DEVICE_BUSY'],
    ['corrupt-report', IntegrityError, 'crc'],
    ['bad-signature', IntegrityError, 'signature'],
    ['stall', DeviceTimeoutError, undefined],
    ['slow-device', DeviceTimeoutError, undefined],
  ] as const)(
    'fault %s gives its typed error, and the next capture succeeds',
    async (scenario, type, detail) => {
      const { scanner, device } = await rig({ timeouts: { keepaliveMs: 800 } });
      device.setScenario(scenario);
      const failure = await capture(scanner, 'flat-single', { timeoutMs: 400 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(type);
      if (failure instanceof DeviceReportedError) expect(failure.deviceCode).toBe(detail);
      if (failure instanceof IntegrityError) expect(failure.check).toBe(detail);
      device.setScenario('good');
      await expect(capture(scanner, 'flat-single')).resolves.toMatchObject({ image: { width: 500 } });
      expect(scanner.state().status).toBe('ready');
    },
  );

  it('an unplug mid-transfer is one disconnect and one DisconnectedError; after re-plug it captures again', async () => {
    const { scanner, device } = await rig();
    const states: string[] = [];
    scanner.onStateChange((s) => states.push(s.status));
    device.setScenario('unplug-mid-transfer');
    await expect(capture(scanner, 'slap-right')).rejects.toBeInstanceOf(DisconnectedError);
    expect(states.filter((s) => s === 'disconnected')).toHaveLength(1);
    device.setScenario('good');
    // The simulator plugs itself back in after 200 ms; the hot-plug port tells the driver.
    for (let i = 0; i < 100 && scanner.state().status !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(scanner.state().status).toBe('ready');
    const { image } = await capture(scanner, 'slap-right');
    expect(createHash('sha256').update(image.pixels).digest('hex')).toHaveLength(64);
    expect(image.width).toBe(1600);
  });

  it('sees an idle unplug at once through the hot-plug port and reopens on the re-plug: the first capture works', async () => {
    const { scanner, device } = await rig();
    const states: string[] = [];
    scanner.onStateChange((s) => states.push(s.status));
    device.unplug();
    await until(() => scanner.state().status === 'disconnected', 500);
    device.plug();
    await until(() => scanner.state().status === 'ready', 1000);
    expect(states).toEqual(['disconnected', 'opening', 'ready']);
    expect((await capture(scanner, 'flat-single')).image.width).toBe(500);
  });

  it.each([
    ['without a hot-plug port', { hotplug: false }],
    ['matched by path, which the hot-plug port cannot name', { byPath: true }],
  ] as const)('%s, sees an idle unplug and the re-plug by watching the HID enumeration', async (_, how) => {
    const { scanner, device } = await rig({ ...how, watchMs: 50 });
    const states: string[] = [];
    scanner.onStateChange((s) => states.push(s.status));
    device.unplug();
    await until(() => scanner.state().status === 'disconnected', 500);
    // Looking again while it is away is not a state change.
    await new Promise((r) => setTimeout(r, 200));
    expect(states).toEqual(['disconnected']);
    device.plug();
    await until(() => scanner.state().status === 'ready', 1000);
    expect(states).toEqual(['disconnected', 'opening', 'ready']);
    expect((await capture(scanner, 'flat-single')).image.width).toBe(500);
  });

  it.each(['dry', 'wet', 'smudged', 'partial', 'moving'] as const)(
    'scenario %s: the verified flat image is that skin condition from the generator',
    async (condition) => {
      const { scanner, device } = await rig();
      device.setScenario(condition);
      const { image } = await capture(scanner, 'flat-single');
      const impression = (device.snapshot() as { captures: number }).captures;
      const expected = renderFinger({
        personSeed: 5,
        finger: 2,
        impression,
        condition,
        width: 500,
        height: 500,
      });
      expect(image.pixels).toEqual(expected.image.pixels);
    },
  );

  it('scenarios of enrollment mistakes place the hands as their names say', () => {
    expect(slapPlacement('same-hand-twice', 'right')).toMatchObject({ wrongHand: false });
    expect(slapPlacement('same-hand-twice', 'left')).toMatchObject({ wrongHand: true });
    for (const hand of ['left', 'right'] as const)
      expect(slapPlacement('hands-swapped', hand)).toMatchObject({ wrongHand: true });
    expect(slapPlacement('hands-swapped', 'thumbs')).toMatchObject({ wrongHand: false });
    expect(slapPlacement('finger-twice', 'thumbs')).toMatchObject({ substitute: { 6: 1 } });
    expect(slapPlacement('finger-twice', 'right')).not.toHaveProperty('substitute');
    expect(slapPlacement('good', 'right')).toEqual({ missing: [], extraFinger: false, wrongHand: false });
  });

  it('scenario finger-changed: every other flat capture shows the middle finger', async () => {
    const { scanner, device } = await rig();
    device.setScenario('finger-changed');
    const shown: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { image } = await capture(scanner, 'flat-single');
      const impression = (device.snapshot() as { captures: number }).captures;
      const as = (finger: number) =>
        renderFinger({ personSeed: 5, finger, impression, width: 500, height: 500 }).image.pixels;
      shown.push(
        Buffer.from(image.pixels).equals(Buffer.from(as(2)))
          ? 2
          : Buffer.from(image.pixels).equals(Buffer.from(as(3)))
            ? 3
            : 0,
      );
    }
    expect(shown.sort()).toEqual([2, 3]);
  });

  it.each([
    ['missing-finger', { missing: [4] }],
    ['extra-finger', { extraFinger: true }],
    ['wrong-hand', { wrongHand: true }],
  ] as const)(
    'scenario %s: the verified right slap shows that placement',
    async (scenario, placement) => {
      const { scanner, device } = await rig();
      device.setScenario(scenario);
      const { image } = await capture(scanner, 'slap-right');
      const impression = (device.snapshot() as { captures: number }).captures;
      const expected = renderSlap({
        personSeed: 5,
        hand: 'right',
        impression,
        width: 1600,
        height: 1500,
        ...placement,
      });
      expect(image.pixels).toEqual(expected.image.pixels);
      // A 1600 x 1500 slap is rendered twice (device and expectation) and crosses the simulated USB link
      // at its real 8,000 reports/s: about 10 s alone on 2 cores, more on a loaded machine.
    },
    60_000,
  );
});
