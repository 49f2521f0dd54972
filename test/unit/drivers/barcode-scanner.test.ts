import { afterEach, describe, expect, it } from 'vitest';
import { type BarcodeScan, BarcodeScanner } from '../../../drivers/barcode/scanner.ts';
import type { DeviceState } from '../../../drivers/device.ts';
import { DriverError } from '../../../drivers/errors.ts';
import { BarcodeScannerSim, type BarcodeScannerSimOptions } from '../../../simulators/barcode/scanner-sim.ts';
import { readCardQr } from '../../../station/qr/read-card-qr.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const scanners: BarcodeScanner[] = [];
afterEach(async () => {
  for (const s of scanners.splice(0)) await s.close();
});

function rig(options: BarcodeScannerSimOptions = {}) {
  const sim = new BarcodeScannerSim(options);
  const scanner = new BarcodeScanner({ id: 'barcode-1', mode: 'simulated', opener: sim, watchMs: 20 });
  scanners.push(scanner);
  const states: DeviceState['status'][] = [];
  scanner.onStateChange((s) => states.push(s.status));
  return { sim, scanner, states };
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

describe('BarcodeScanner driver with the simulated scanner', () => {
  it.each(['serial', 'hid'] as const)(
    'gives the scanned CCCD QR text to onScan (%s), and readCardQr turns it into the chip key',
    async (transport) => {
      const { sim, scanner, states } = rig({ transport });
      await scanner.open();
      expect(scanner.state()).toEqual({ status: 'ready', detail: { path: 'sim-barcode' } });
      const scans: BarcodeScan[] = [];
      scanner.onScan((s) => scans.push(s));
      const next = scanner.nextScan({ timeoutMs: 5000 });
      await sim.scan(CCCD_TEXT);
      const scan = await next;
      expect(scan).toMatchObject({ text: CCCD_TEXT, device: 'barcode-1' });
      expect(scans.map((s) => s.text)).toEqual([CCCD_TEXT]);
      const key = readCardQr(scan.text, { today: '2026-12-07' });
      expect(key).toMatchObject({
        ok: true,
        key: { id12: '001099012345', dateOfBirth: '990101' },
        qr: { fullName: 'Nguyễn Văn An' },
      });
      expect(states).toEqual(['opening', 'ready']);
      expect(scanner.counters()).toMatchObject({ scans: 1, overlong: 0, partial: 0 });
    },
  );

  it('reads CR LF and Tab suffixes, line after line', async () => {
    for (const suffix of ['CRLF', 'TAB'] as const) {
      const { sim, scanner } = rig({ suffix, chunkBytes: 5 });
      await scanner.open();
      const texts: string[] = [];
      scanner.onScan((s) => texts.push(s.text));
      const second = new Promise<void>((resolve) => scanner.onScan(() => texts.length === 2 && resolve()));
      await sim.scan('first');
      await sim.scan(CCCD_TEXT);
      await second;
      expect(texts).toEqual(['first', CCCD_TEXT]);
    }
  });

  it('counts an overlong line and goes on scanning', async () => {
    const { sim, scanner } = rig({ chunkBytes: 512 });
    await scanner.open();
    const next = scanner.nextScan({ timeoutMs: 5000 });
    await sim.scan('x'.repeat(5000));
    await sim.scan(CCCD_TEXT);
    expect((await next).text).toBe(CCCD_TEXT);
    expect(scanner.counters()).toMatchObject({ scans: 1, overlong: 1 });
  });

  it('counts a line left without a suffix as partial, and one in a legacy code page as not UTF-8', async () => {
    const { sim, scanner } = rig({ partialLineMs: 30 });
    await scanner.open();
    sim.setScenario('no-suffix');
    await sim.scan(CCCD_TEXT);
    // The next code must come after the silence that cuts the unfinished line, or it would join it.
    while (scanner.counters().partial === 0) await new Promise((r) => setTimeout(r, 10));
    sim.setScenario('legacy-codepage');
    await sim.scan(CCCD_TEXT);
    sim.setScenario('normal');
    const next = scanner.nextScan({ timeoutMs: 5000 });
    await sim.scan('after');
    expect((await next).text).toBe('after');
    expect(scanner.counters()).toMatchObject({ scans: 1, partial: 1, notUtf8: 1 });
  });

  it('drops the diacritics a keyboard wedge without Unicode mode cannot type (so the QR no longer matches)', async () => {
    const { sim, scanner } = rig({ transport: 'hid' });
    await scanner.open();
    sim.setScenario('legacy-codepage');
    const next = scanner.nextScan({ timeoutMs: 5000 });
    await sim.scan('Nguyễn Văn An');
    expect((await next).text).toBe('Nguyn Vn An');
  });

  it('goes disconnected when unplugged, watches, and is ready again when plugged back', async () => {
    const { sim, scanner, states } = rig();
    await scanner.open();
    sim.setScenario('unplugged');
    await until(scanner, 'disconnected');
    await expect(scanner.nextScan({ timeoutMs: 100 })).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    sim.setScenario('normal');
    await until(scanner, 'ready');
    const next = scanner.nextScan({ timeoutMs: 5000 });
    await sim.scan(CCCD_TEXT);
    expect((await next).text).toBe(CCCD_TEXT);
    expect(states).toEqual(['opening', 'ready', 'disconnected', 'ready']);
  });

  it('starts disconnected when the scanner is missing, and picks it up when it appears', async () => {
    const { sim, scanner } = rig();
    sim.setScenario('unplugged');
    await scanner.open();
    expect(scanner.state().status).toBe('disconnected');
    sim.setScenario('normal');
    await until(scanner, 'ready');
  });

  it('rejects a waiting nextScan with a timeout, on abort, and on close', async () => {
    const { scanner } = rig();
    await scanner.open();
    await expect(scanner.nextScan({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
    const controller = new AbortController();
    const aborted = scanner.nextScan({ timeoutMs: 5000, signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'DEVICE_CANCELED' });
    const waiting = scanner.nextScan({ timeoutMs: 5000 });
    await scanner.close();
    await expect(waiting).rejects.toBeInstanceOf(DriverError);
    await expect(waiting).rejects.toMatchObject({ code: 'DEVICE_CANCELED' });
    expect(scanner.state().status).toBe('closed');
    await scanner.close();
  });
});
