/**
 * A serial 2D barcode scanner through the real serialport binding: the bytes a scanner sends
 * (simulators/barcode serialBytesFor) written into one end of a socat pty pair, the production
 * NativeSerialBarcodeOpener and BarcodeScanner on the other, then the chip key from the scan.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NativeSerialBarcodeOpener } from '../../drivers/barcode/native-serial.ts';
import { type BarcodeScan, BarcodeScanner } from '../../drivers/barcode/scanner.ts';
import type { DeviceState } from '../../drivers/device.ts';
import { NativeSerialOpener } from '../../drivers/fingerprint/native-serial.ts';
import { serialBytesFor } from '../../simulators/barcode/scanner-sim.ts';
import { readCardQr } from '../../station/qr/read-card-qr.ts';
import { startPtyPair } from '../support/socat.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function rig() {
  const pair = await startPtyPair();
  cleanups.push(() => pair.stop());
  // The scanner's end of the cable.
  const wire = await new NativeSerialOpener().open(pair.b, 9600);
  cleanups.push(() => wire.close());
  const scanner = new BarcodeScanner({
    id: 'barcode-serial',
    mode: 'hardware',
    opener: new NativeSerialBarcodeOpener({ path: pair.a, baudRate: 9600 }),
    watchMs: 100,
  });
  cleanups.push(() => scanner.close());
  await scanner.open();
  return { pair, wire, scanner };
}

function until(scanner: BarcodeScanner, status: DeviceState['status']): Promise<void> {
  if (scanner.state().status === status) return Promise.resolve();
  return new Promise((resolve) => {
    const off = scanner.onStateChange((s) => {
      if (s.status === status) {
        off();
        resolve();
      }
    });
  });
}

describe('serial barcode scanner over a socat pty through serialport', () => {
  it('reads a CCCD QR sent in small chunks with a CR LF suffix and derives the chip key', async () => {
    const { wire, scanner } = await rig();
    expect(scanner.state()).toMatchObject({ status: 'ready' });
    const scans: BarcodeScan[] = [];
    scanner.onScan((s) => scans.push(s));
    const next = scanner.nextScan({ timeoutMs: 10_000 });
    const bytes = serialBytesFor(CCCD_TEXT, 'CRLF');
    for (let at = 0; at < bytes.length; at += 7) await wire.write(bytes.subarray(at, at + 7));
    const scan = await next;
    expect(scan.text).toBe(CCCD_TEXT);
    expect(readCardQr(scan.text, { today: '2026-12-07' })).toMatchObject({
      ok: true,
      key: { id12: '001099012345', dateOfBirth: '990101' },
    });
    // A second code right after, and an overlong one counted between them.
    const second = scanner.nextScan({ timeoutMs: 10_000 });
    await wire.write(serialBytesFor('y'.repeat(5000), 'CR'));
    await wire.write(serialBytesFor('second', 'CR'));
    expect((await second).text).toBe('second');
    expect(scanner.counters()).toMatchObject({ scans: 2, overlong: 1 });
    expect(scans.map((s) => s.text)).toEqual([CCCD_TEXT, 'second']);
  }, 30_000);

  it('shows disconnected when the line goes away (socat stopped, as a scanner unplugged)', async () => {
    const { pair, scanner } = await rig();
    await pair.stop();
    await until(scanner, 'disconnected');
    expect(scanner.state()).toMatchObject({ status: 'disconnected' });
  }, 30_000);
});
