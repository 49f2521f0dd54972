/**
 * The R30x driver through the real serialport binding: the simulated module on one end of a socat
 * pty pair, the production driver on the other, both opened with NativeSerialOpener. One capture
 * runs at the module's real pace (57,600 bit/s, about 7 s per image); the fault runs use a faster
 * module so the suite stays short.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceTimeoutError, IntegrityError, ProtocolError } from '../../drivers/errors.ts';
import { NativeSerialOpener } from '../../drivers/fingerprint/native-serial.ts';
import { R30xFingerprintScanner } from '../../drivers/fingerprint/r30x-scanner.ts';
import { captureImage } from '../../drivers/fingerprint/scanner.ts';
import type { SerialLink } from '../../drivers/fingerprint/serial-port.ts';
import { imageTransferBytes, serialTimeMs } from '../../protocol/r30x/packet.ts';
import { SimulatedR30xModule, type SimulatedR30xOptions } from '../../simulators/scanner/r30x-sim.ts';
import { type PtyPair, startPtyPair } from '../support/socat.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function rig(options: SimulatedR30xOptions) {
  const pair: PtyPair = await startPtyPair();
  cleanups.push(() => pair.stop());
  const opener = new NativeSerialOpener();
  const line: SerialLink = await opener.open(pair.b, 57600);
  cleanups.push(() => line.close());
  const module = new SimulatedR30xModule({ fingerDelayMs: 100, ...options });
  module.attach(line);
  cleanups.push(() => module.close());
  const scanner = new R30xFingerprintScanner({
    id: 'scanner-serial',
    mode: 'hardware',
    opener,
    path: pair.a,
  });
  cleanups.push(() => scanner.close());
  await scanner.open();
  return { scanner, module, pair };
}

describe('R30x driver over a socat pty through serialport', () => {
  it('captures at the real module pace: 256x288 in about 7 s at 57,600 bit/s', async () => {
    const { scanner } = await rig({});
    expect(scanner.state().status).toBe('ready');
    const started = performance.now();
    const image = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    const elapsed = performance.now() - started;
    expect(image).toMatchObject({ width: 256, height: 288, ppi: 500, use: 'verification-only' });
    // The baud rate is emulated: the image cannot arrive faster than the wire carries it.
    expect(elapsed).toBeGreaterThanOrEqual(serialTimeMs(imageTransferBytes(128), 57600));
    // Real ink: a good part of the image is dark ridges.
    expect(image.pixels.filter((v) => v < 128).length).toBeGreaterThan(256 * 288 * 0.1);
  }, 30_000);

  it('a line that goes away while idle (socat stopped, as an adapter pulled out) shows disconnected within a second, with no capture', async () => {
    const { scanner, pair } = await rig({ bitsPerSecond: 2_000_000 });
    expect(scanner.state().status).toBe('ready');
    await pair.stop();
    const started = performance.now();
    while (scanner.state().status !== 'disconnected' && performance.now() - started < 1000)
      await new Promise((r) => setTimeout(r, 10));
    expect(scanner.state().status).toBe('disconnected');
    // The line is still missing when the driver looks again: it stays disconnected, not in error.
    await new Promise((r) => setTimeout(r, 700));
    expect(scanner.state().status).toBe('disconnected');
  }, 30_000);

  it.each([
    ['garbage', ProtocolError],
    ['bad-checksum', IntegrityError],
    ['stall', DeviceTimeoutError],
  ] as const)(
    '%s on the line: a typed error, then the next capture works',
    async (scenario, type) => {
      const { scanner, module } = await rig({ bitsPerSecond: 2_000_000 });
      module.setScenario(scenario);
      await expect(captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 })).rejects.toBeInstanceOf(
        type,
      );
      module.setScenario('good');
      const image = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
      expect(image.pixels).toHaveLength(256 * 288);
      expect(scanner.state().status).toBe('ready');
    },
    30_000,
  );
});
