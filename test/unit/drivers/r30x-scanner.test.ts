/**
 * The R30x driver against the simulated module on an in-memory line at a fast bit rate, so every
 * capture mode, fault and recovery is exercised in well under a second each. The same driver runs
 * over a real pty through serialport in test/integration/r30x-serial.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BusyError,
  CanceledError,
  DeviceReportedError,
  DeviceTimeoutError,
  DisconnectedError,
  DriverError,
  IntegrityError,
  ProtocolError,
} from '../../../drivers/errors.ts';
import { R30xFingerprintScanner } from '../../../drivers/fingerprint/r30x-scanner.ts';
import { type CaptureEvent, captureImage } from '../../../drivers/fingerprint/scanner.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';
import { SimulatedR30xModule, type SimulatedR30xOptions } from '../../../simulators/scanner/r30x-sim.ts';
import { memoryLinePair } from '../../../simulators/serial/memory-line.ts';

const FAST = 4_000_000;
const open: { scanner: R30xFingerprintScanner; module: SimulatedR30xModule }[] = [];

afterEach(async () => {
  for (const { scanner, module } of open.splice(0)) {
    await scanner.close();
    await module.close();
  }
});

async function rig(
  options: SimulatedR30xOptions = {},
  timeouts: { answerMs?: number; packetMs?: number } = { answerMs: 400, packetMs: 300 },
) {
  const module = new SimulatedR30xModule({ bitsPerSecond: FAST, fingerDelayMs: 60, genImgMs: 5, ...options });
  const scanner = new R30xFingerprintScanner({
    id: 'scanner-serial',
    mode: 'simulated',
    opener: module,
    path: module.path,
    ...(options.password === undefined ? {} : { password: options.password }),
    timeouts,
  });
  open.push({ scanner, module });
  await scanner.open();
  return { scanner, module };
}

/** What the module's 4-bit wire turns impression `impression` of person 1, finger 2 into. */
function expectedPixels(impression: number, condition: 'good' | 'dry' = 'good'): Uint8Array {
  const { image } = renderFinger({
    personSeed: 1,
    finger: 2,
    impression,
    condition,
    width: 256,
    height: 288,
  });
  return image.pixels.map((v) => (v >> 4) * 17);
}

describe('R30x serial driver against the simulated module', () => {
  it('opens: password verified, parameters read, described as verification-only', async () => {
    const { scanner } = await rig();
    expect(scanner.state()).toMatchObject({
      status: 'ready',
      detail: { packetSize: 128, baud: 57600, use: 'verification-only' },
    });
    expect(scanner.describe()).toMatchObject({
      ppi: 500,
      captureWidth: 256,
      captureHeight: 288,
      modes: ['flat-single'],
      use: 'verification-only',
    });
    expect(scanner.systemParameters()?.librarySize).toBe(1000);
  });

  it('captures a flat finger: waits for it, then the exact image the module holds, marked verification-only', async () => {
    const { scanner } = await rig();
    const events: CaptureEvent[] = [];
    for await (const event of scanner.capture({ mode: 'flat-single', timeoutMs: 5000 })) events.push(event);
    expect(events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && e.status)).toEqual([
      'waiting-for-finger',
      'capturing',
      'processing',
    ]);
    const last = events.at(-1);
    if (last?.type !== 'result') throw new Error('no result');
    expect(last.image).toMatchObject({ mode: 'flat-single', width: 256, height: 288, ppi: 500 });
    expect(last.image.use).toBe('verification-only');
    expect(last.image.attestation).toBeUndefined();
    expect(last.image.pixels).toEqual(expectedPixels(1));
    // The next capture is a new impression of the same finger.
    const second = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    expect(second.pixels).toEqual(expectedPixels(2));
  });

  it('refuses the modes a single-finger module does not have', async () => {
    const { scanner } = await rig();
    await expect(captureImage(scanner, { mode: 'slap-right', timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'DEVICE_REPORTED_ERROR',
      deviceCode: 'UNSUPPORTED_MODE',
    });
    expect((await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).width).toBe(256);
  });

  it('gives a second caller a BusyError while a capture runs', async () => {
    const { scanner } = await rig();
    const first = captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 10));
    await expect(captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).rejects.toBeInstanceOf(
      BusyError,
    );
    expect((await first).pixels).toHaveLength(256 * 288);
  });

  it('answers a cancel at once, even mid-image, and the next capture works', async () => {
    // A slow line: the image takes about 0.4 s, the cancel comes 100 ms into it.
    const { scanner, module } = await rig({ bitsPerSecond: 1_000_000 });
    const controller = new AbortController();
    const started = performance.now();
    const run = (async () => {
      for await (const event of scanner.capture({
        mode: 'flat-single',
        timeoutMs: 5000,
        signal: controller.signal,
      })) {
        if (event.type === 'status' && event.status === 'capturing')
          setTimeout(() => controller.abort(), 100);
      }
    })();
    await expect(run).rejects.toBeInstanceOf(CanceledError);
    // The caller hears of the cancel long before the module has finished sending the image.
    expect(performance.now() - started).toBeLessThan(350);
    const image = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    expect(image.pixels).toEqual(expectedPixels((module.snapshot() as { captures: number }).captures));
  });

  it('times out with NO_FINGER_TIMEOUT when no finger comes, and captures once one does', async () => {
    const { scanner, module } = await rig();
    module.setScenario('no-finger');
    await expect(captureImage(scanner, { mode: 'flat-single', timeoutMs: 200 })).rejects.toMatchObject({
      deviceCode: 'NO_FINGER_TIMEOUT',
    });
    module.setScenario('good');
    expect((await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).height).toBe(288);
  });

  it.each([
    ['image-fail', DeviceReportedError, 'IMAGE_FAILED'],
    ['garbage', ProtocolError, undefined],
    ['bad-checksum', IntegrityError, undefined],
    ['stall', DeviceTimeoutError, undefined],
    ['slow-device', DeviceTimeoutError, undefined],
  ] as const)('%s: a typed error, then the next capture succeeds', async (scenario, type, deviceCode) => {
    const { scanner, module } = await rig();
    module.setScenario(scenario);
    const failure = captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    await expect(failure).rejects.toBeInstanceOf(type);
    if (deviceCode) await expect(failure).rejects.toMatchObject({ deviceCode });
    if (scenario === 'bad-checksum') await expect(failure).rejects.toMatchObject({ check: 'checksum' });
    module.setScenario('good');
    const image = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    expect(image.pixels).toEqual(expectedPixels((module.snapshot() as { captures: number }).captures));
    expect(scanner.state().status).toBe('ready');
  });

  it('an unplug mid-transfer is one disconnect and one DisconnectedError; after re-plug it captures again', async () => {
    const { scanner, module } = await rig();
    const states: string[] = [];
    scanner.onStateChange((s) => states.push(s.status));
    module.setScenario('unplug-mid-transfer');
    await expect(captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).rejects.toBeInstanceOf(
      DisconnectedError,
    );
    expect(states).toEqual(['disconnected']);
    module.setScenario('good');
    // The module comes back 200 ms later; the next capture reopens the line by itself.
    await new Promise((r) => setTimeout(r, 300));
    const image = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    expect(image.width).toBe(256);
    expect(states).toEqual(['disconnected', 'opening', 'ready']);
  });

  it('an idle unplug is disconnected at once (the line says so); the re-plug reopens by itself and the first capture works', async () => {
    const { scanner, module } = await rig();
    const states: string[] = [];
    scanner.onStateChange((s) => states.push(s.status));
    module.unplug();
    for (let i = 0; i < 50 && scanner.state().status !== 'disconnected'; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(scanner.state().status).toBe('disconnected');
    // Trying the line again while the module is away is not a state change.
    await new Promise((r) => setTimeout(r, 600));
    expect(states).toEqual(['disconnected']);
    module.plug();
    for (let i = 0; i < 100 && scanner.state().status !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(states).toEqual(['disconnected', 'opening', 'ready']);
    expect((await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).width).toBe(256);
  });

  it('a wrong password leaves the scanner in error, naming the module refusal', async () => {
    const { scanner, module } = await rig({ password: 0x1234 }).then(async (r) => {
      r.module.setScenario('wrong-password');
      await r.scanner.close();
      await r.scanner.open();
      return r;
    });
    expect(scanner.state()).toMatchObject({ status: 'error', code: 'DEVICE_REPORTED_ERROR' });
    await expect(captureImage(scanner, { mode: 'flat-single', timeoutMs: 1000 })).rejects.toBeInstanceOf(
      DriverError,
    );
    // Once the module takes the password again, the next capture reopens and works.
    module.setScenario('good');
    expect((await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).width).toBe(256);
    expect(scanner.state().status).toBe('ready');
  });

  it.each([0, 0x1234])(
    'a module that starts refusing the password (configured password %i) fails the next capture with WRONG_PASSWORD, naming the setting, and shows error',
    async (password) => {
      const { scanner, module } = await rig({ password });
      expect(scanner.state().status).toBe('ready');
      module.setScenario('wrong-password');
      const failure = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 1000 }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(DeviceReportedError);
      expect(failure).toMatchObject({ code: 'DEVICE_REPORTED_ERROR', deviceCode: 'WRONG_PASSWORD' });
      expect((failure as Error).message).toContain('devices.fingerprintSerial.password');
      expect(scanner.state()).toMatchObject({
        status: 'error',
        code: 'DEVICE_REPORTED_ERROR',
        message: expect.stringContaining('devices.fingerprintSerial.password'),
      });
      module.setScenario('good');
      expect((await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).width).toBe(256);
      expect(scanner.state().status).toBe('ready');
    },
  );

  it('a module power-cycled behind its back (0x21 to GenImg) is verified again and the capture goes on', async () => {
    // The module on a line it does not own (as on a pty): pulling its power leaves the line open.
    const module = new SimulatedR30xModule({
      bitsPerSecond: FAST,
      fingerDelayMs: 60,
      genImgMs: 5,
      password: 0x1234,
    });
    const line = memoryLinePair('line', 57_600);
    module.attach(line.device);
    const scanner = new R30xFingerprintScanner({
      id: 'scanner-serial',
      mode: 'simulated',
      opener: { open: async () => line.host },
      path: 'line',
      password: 0x1234,
      timeouts: { answerMs: 400, packetMs: 300 },
    });
    open.push({ scanner, module });
    await scanner.open();
    expect(scanner.state().status).toBe('ready');
    // Power off and on without the host noticing: the module forgets the password check.
    module.unplug();
    module.plug();
    expect((module.snapshot() as { passwordVerified: boolean }).passwordVerified).toBe(false);
    expect((await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).width).toBe(256);
    expect(scanner.state().status).toBe('ready');
  });

  it('refuses a baud rate the module family cannot run at', () => {
    const module = new SimulatedR30xModule();
    expect(
      () =>
        new R30xFingerprintScanner({
          id: 'x',
          mode: 'simulated',
          opener: module,
          path: 'p',
          baudRate: 60000,
        }),
    ).toThrow(RangeError);
  });
});
