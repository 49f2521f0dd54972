/**
 * The 2D barcode scanner through the whole station on real sockets:
 * - a hardware serial scanner (the production serialport adapter on one end of a socat pty pair, the
 *   scanner's bytes written into the other) composed from `devices.barcode`, read by
 *   `station qr scan --device`;
 * - the embedded default: `station sim barcode --card` scans the simulated card's QR code, and the
 *   key derived from it opens that card's chip through POST /cards/read.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BarcodeScanner } from '../../drivers/barcode/scanner.ts';
import type { Device } from '../../drivers/device.ts';
import { NativeSerialOpener } from '../../drivers/fingerprint/native-serial.ts';
import { serialBytesFor } from '../../simulators/barcode/scanner-sim.ts';
import { main } from '../../station/cli/main.ts';
import { recordingIo } from '../support/cli.ts';
import { startPtyPair } from '../support/socat.ts';
import { embeddedStation } from '../support/station.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function cli(...args: string[]) {
  const io = recordingIo();
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

function barcodeOf(devices: readonly Device[]): BarcodeScanner {
  const found = devices.find((d) => d.id === 'barcode');
  if (!found) throw new Error('no barcode device');
  return found as BarcodeScanner;
}

/** Resolves once someone waits on the scanner (a code scanned before that is read and dropped). */
function waitingFor(scanner: BarcodeScanner): Promise<void> {
  const original = scanner.nextScan.bind(scanner);
  return new Promise((resolve) => {
    vi.spyOn(scanner, 'nextScan').mockImplementation((options) => {
      const pending = original(options);
      resolve();
      return pending;
    });
  });
}

async function listen(app: Awaited<ReturnType<typeof embeddedStation>>['app']): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

describe('the barcode scanner through the station', () => {
  it('reads a hardware serial scanner (serialport over a pty) into the chip key for station qr scan', async () => {
    const pair = await startPtyPair();
    cleanups.push(() => pair.stop());
    const station = await embeddedStation({
      devices: {
        hotplug: { mode: 'disabled' },
        fingerprintHid: { mode: 'disabled' },
        fingerprintSerial: { mode: 'disabled' },
        cardReader: { mode: 'disabled' },
        camera: { mode: 'disabled' },
        barcode: { mode: 'hardware', kind: 'serial', path: pair.a, watchMs: 100 },
      },
    });
    cleanups.push(station.cleanup);
    const { devices } = (await station.app.inject('/devices')).json();
    expect(devices).toEqual([
      {
        id: 'barcode',
        family: 'barcode',
        mode: 'hardware',
        state: { status: 'ready', detail: { path: pair.a } },
      },
    ]);
    const url = await listen(station.app);
    // The scanner's end of the cable.
    const wire = await new NativeSerialOpener().open(pair.b, 9600);
    cleanups.push(() => wire.close());

    const waiting = waitingFor(barcodeOf(station.deps.devices));
    const scan = cli('qr', 'scan', '--device', 'barcode', '--timeout', '20000', '--url', url);
    await waiting;
    const bytes = serialBytesFor(CCCD_TEXT, 'CRLF');
    for (let at = 0; at < bytes.length; at += 16) await wire.write(bytes.subarray(at, at + 16));
    const { code, out, err } = await scan;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      device: 'barcode',
      text: CCCD_TEXT,
      key: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' },
    });
  }, 60_000);

  it("opens the simulated card's chip with the key from its scanned QR code", async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const url = await listen(station.app);
    const waiting = waitingFor(barcodeOf(station.deps.devices));
    const scan = cli('qr', 'scan', '--device', 'barcode', '--url', url);
    await waiting;
    expect((await cli('sim', 'barcode', '--card', '--url', url)).code).toBe(0);
    const scanned = await scan;
    expect(scanned.code).toBe(0);
    const { text, key } = JSON.parse(scanned.out);
    expect(key).toEqual({ id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' });

    const read = await fetch(`${url}/cards/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ qr: text }),
    });
    const check = await read.json();
    expect(read.status, JSON.stringify(check)).toBe(200);
    expect(check).toMatchObject({ genuine: true, qr: { expiryFrom: 'derived' } });
  }, 60_000);
});
