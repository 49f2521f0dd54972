/**
 * `station qr scan --in IMAGE` (decoded here, no station) and `station qr scan --device ID` (a
 * running station's barcode scanner), driven with `station sim barcode`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BarcodeScanner } from '../../../drivers/barcode/scanner.ts';
import { renderCardQr } from '../../../simulators/barcode/qr-card-image.ts';
import { buildStation } from '../../../station/app.ts';
import { main } from '../../../station/cli/main.ts';
import { composeBarcode } from '../../../station/compose/barcode.ts';
import { encodeJpeg } from '../../../station/imaging/sharp-images.ts';
import { recordingIo } from '../../support/cli.ts';
import { ManualClock, tempDir, testConfig } from '../../support/station.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

let dir: string;
let cardFile: string;
beforeAll(async () => {
  const tmp = tempDir('station-qr-cli-');
  dir = tmp.dir;
  cardFile = path.join(dir, 'frame.jpg');
  writeFileSync(cardFile, await encodeJpeg(renderCardQr(CCCD_TEXT, { seed: 5 }), { quality: 85 }));
  return () => tmp.remove();
});

async function station(args: string[]) {
  const io = recordingIo(dir);
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

describe('station qr scan --in', () => {
  it('prints the text, the fields and the chip key read from a camera frame of the card, exit 0', async () => {
    const { code, out, err } = await station(['qr', 'scan', '--in', 'frame.jpg', '--today', '2026-12-07']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      file: cardFile,
      width: 1280,
      height: 720,
      ok: true,
      today: '2026-12-07',
      text: CCCD_TEXT,
      qr: {
        ok: true,
        layout: 'seven-parts',
        fields: {
          id: '001099012345',
          oldId: '012345678',
          fullName: 'Nguyễn Văn An',
          dateOfBirth: '1999-01-01',
        },
        errors: [],
      },
      key: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' },
      expiryFrom: 'derived',
      validity: { kind: 'in-date', valid: true, today: '2026-12-07' },
      symbol: { corners: { topLeft: { x: expect.any(Number) } } },
    });
  });

  it('uses the expiry given with --expiry', async () => {
    const { code, out } = await station(['qr', 'scan', '--in', cardFile, '--expiry', '391231']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ key: { dateOfExpiry: '391231' }, expiryFrom: 'given' });
  });

  it('prints QR_NO_CODE and exits 1 for a frame without a code', async () => {
    const blank = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(200) };
    const file = path.join(dir, 'blank.jpg');
    writeFileSync(file, await encodeJpeg(blank, { quality: 90 }));
    const { code, out, err } = await station(['qr', 'scan', '--in', file]);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ ok: false, code: 'QR_NO_CODE', key: null });
    expect(err).toMatch(/QR_NO_CODE/);
  });

  it('says why a file cannot be read: missing, corrupt', async () => {
    const missing = await station(['qr', 'scan', '--in', 'nope.jpg']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(path.join(dir, 'nope.jpg'));
    const corrupt = path.join(dir, 'corrupt.jpg');
    writeFileSync(corrupt, Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
    const bad = await station(['qr', 'scan', '--in', corrupt]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/IMAGE_DECODE_FAILED/);
    expect(bad.out).toBe('');
  });

  it('refuses a wrong command line with exit 2', async () => {
    for (const args of [
      ['qr', 'scan'],
      ['qr', 'scan', '--in', 'a.jpg', '--device', 'barcode'],
      ['qr', 'scan', '--in', 'a.jpg', '--expiry', '2039-01-01'],
      ['qr', 'scan', '--in', 'a.jpg', '--today', '07/12/2026'],
      ['qr', 'scan', '--device', 'barcode', '--today', '2026-12-07'],
      ['qr', 'scan', '--device', 'barcode', '--timeout', '0'],
    ])
      expect((await station(args)).code, args.join(' ')).toBe(2);
  });
});

describe('station qr scan --device, station sim barcode', () => {
  /** A listening station with the simulated barcode scanner only. */
  async function running() {
    const tmp = tempDir('station-qr-cli-run-');
    const clock = new ManualClock();
    const config = testConfig({}, tmp.dir);
    const parts = await composeBarcode(config, { clock });
    if (!parts.scanner || !parts.simulator) throw new Error('no simulated scanner');
    const app = await buildStation({
      config,
      devices: [parts.scanner],
      clock,
      central: {
        url: 'http://127.0.0.1:9',
        reachability: async () => ({
          url: 'http://127.0.0.1:9',
          mode: 'embedded',
          reachable: true,
          checkedAt: new Date(clock.now()).toISOString(),
        }),
      },
      outbox: { depth: async () => 0 },
      simulators: [parts.simulator],
      logger: false,
    });
    cleanups.push(async () => {
      await app.close();
      tmp.remove();
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return { url: `http://127.0.0.1:${address.port}`, scanner: parts.scanner };
  }

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

  it('waits for the scanner and prints the key of the code it reads', async () => {
    const { url, scanner } = await running();
    const waiting = waitingFor(scanner);
    const scan = station(['qr', 'scan', '--device', 'barcode', '--timeout', '30000', '--url', url]);
    await waiting;
    const sim = await station(['sim', 'barcode', '--text', CCCD_TEXT, '--url', url]);
    expect(sim.code).toBe(0);
    expect(JSON.parse(sim.out).result).toMatchObject({ scanned: CCCD_TEXT });
    const { code, out, err } = await scan;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      device: 'barcode',
      text: CCCD_TEXT,
      key: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' },
    });
  });

  it('reads the simulated card with sim barcode --card; exits 1 with the reason for a code that is not a CCCD', async () => {
    const { url, scanner } = await running();
    let waiting = waitingFor(scanner);
    let scan = station(['qr', 'scan', '--device', 'barcode', '--url', url]);
    await waiting;
    expect((await station(['sim', 'barcode', '--card', '--url', url])).code).toBe(0);
    expect(JSON.parse((await scan).out)).toMatchObject({ ok: true, key: { id12: '001099012345' } });

    vi.restoreAllMocks();
    waiting = waitingFor(scanner);
    scan = station(['qr', 'scan', '--device', 'barcode', '--url', url]);
    await waiting;
    expect((await station(['sim', 'barcode', '--text', 'WIFI:S:hotel;;', '--url', url])).code).toBe(0);
    const refused = await scan;
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out)).toMatchObject({ ok: false, code: 'QR_INVALID' });
    expect(refused.err).toMatch(/QR_INVALID/);
  });

  it("fails with the station's reason for an unknown device or no scan in time", async () => {
    const { url } = await running();
    const unknown = await station(['qr', 'scan', '--device', 'nope', '--url', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/HTTP 404.*DEVICE_NOT_FOUND/);
    const late = await station(['qr', 'scan', '--device', 'barcode', '--timeout', '1', '--url', url]);
    expect(late.code).toBe(1);
    expect(late.err).toMatch(/HTTP 504.*DEVICE_TIMEOUT/);
    expect((await station(['sim', 'barcode', '--url', url])).code).toBe(2);
  });
});
