/**
 * The 2D barcode scanner in the station: composed from `devices.barcode`, listed with the devices,
 * driven from /sim/barcode, and read through POST /devices/:id/scan into the chip's access key.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BarcodeScanner } from '../../../drivers/barcode/scanner.ts';
import type { Device } from '../../../drivers/device.ts';
import { HotplugMonitor } from '../../../drivers/hotplug/hotplug-monitor.ts';
import { SimulatedUsbBus } from '../../../simulators/hotplug/simulated-hotplug.ts';
import { buildStation } from '../../../station/app.ts';
import { composeBarcode, sampleCardQrText } from '../../../station/compose/barcode.ts';
import { embeddedStation, ManualClock, tempDir, testConfig } from '../../support/station.ts';

const CCCD_TEXT =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/**
 * A station with the configured barcode scanner (composeBarcode) and a hot-plug monitor beside it,
 * without the embedded central service (seconds to set up): the scan routes need neither.
 */
async function station(barcode: Record<string, unknown> = {}) {
  const tmp = tempDir('station-barcode-');
  const clock = new ManualClock();
  const config = testConfig({ devices: { barcode } }, tmp.dir);
  const parts = await composeBarcode(config, { clock });
  const devices: Device[] = [new HotplugMonitor(new SimulatedUsbBus(), 'simulated')];
  if (parts.scanner) devices.push(parts.scanner);
  const app = await buildStation({
    config,
    devices,
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
    simulators: parts.simulator ? [parts.simulator] : [],
    logger: false,
  });
  cleanups.push(async () => {
    await app.close();
    tmp.remove();
  });
  return { app, deps: { devices } };
}

function scannerOf(devices: readonly Device[]): BarcodeScanner {
  const found = devices.find((d) => d.id === 'barcode');
  if (!found) throw new Error('no barcode device');
  return found as BarcodeScanner;
}

/** Resolves once the route is waiting on the scanner (a scan before that is read and dropped). */
function waitingFor(scanner: BarcodeScanner): Promise<AbortSignal | undefined> {
  const original = scanner.nextScan.bind(scanner);
  return new Promise((resolve) => {
    vi.spyOn(scanner, 'nextScan').mockImplementation((options) => {
      const pending = original(options);
      resolve(options.signal);
      return pending;
    });
  });
}

/** Starts POST /devices/barcode/scan, makes the simulator scan `action`, returns the answer. */
async function scanThrough(
  app: FastifyInstance,
  scanner: BarcodeScanner,
  action: { name: 'scan'; text: string } | { name: 'scan-card' },
  body: Record<string, unknown> = {},
) {
  const waiting = waitingFor(scanner);
  const answer = app.inject({ method: 'POST', url: '/devices/barcode/scan', payload: body });
  await waiting;
  const sim = await app.inject({
    method: 'POST',
    url: `/sim/barcode/actions/${action.name}`,
    payload: action.name === 'scan' ? { text: action.text } : {},
  });
  expect(sim.statusCode).toBe(200);
  return answer;
}

describe('the barcode scanner in the station', () => {
  it('is composed in simulated mode and listed by GET /devices and /health, ready', async () => {
    const embedded = await embeddedStation();
    cleanups.push(embedded.cleanup);
    const { app } = embedded;
    const { devices } = (await app.inject('/devices')).json();
    expect(devices).toContainEqual({
      id: 'barcode',
      family: 'barcode',
      mode: 'simulated',
      state: { status: 'ready', detail: { path: 'sim-barcode' } },
    });
    const health = (await app.inject('/health')).json();
    expect(health.devices).toContainEqual(expect.objectContaining({ id: 'barcode', family: 'barcode' }));
    const sim = (await app.inject('/sim/barcode')).json();
    expect(sim).toMatchObject({
      scenario: 'normal',
      scenarios: ['normal', 'no-suffix', 'legacy-codepage', 'unplugged'],
      state: { transport: 'serial' },
    });
  });

  it('is left out when disabled', async () => {
    const { app } = await station({ mode: 'disabled' });
    const { devices } = (await app.inject('/devices')).json();
    expect(devices.map((d: { id: string }) => d.id)).not.toContain('barcode');
    expect((await app.inject('/sim/barcode')).statusCode).toBe(404);
  });

  it('answers a scanned CCCD QR code with its fields and the chip key derived from it', async () => {
    const { app, deps } = await station();
    const response = await scanThrough(app, scannerOf(deps.devices), { name: 'scan', text: CCCD_TEXT });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      ok: true,
      device: 'barcode',
      text: CCCD_TEXT,
      // ManualClock's day.
      today: '2026-11-22',
      qr: { ok: true, fields: { id: '001099012345', fullName: 'Nguyễn Văn An', dateOfBirth: '1999-01-01' } },
      // Issued at 25: valid to the 40th birthday.
      key: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' },
      expiryFrom: 'derived',
      validity: { kind: 'in-date', valid: true },
    });
  });

  it('takes the expiry the officer typed', async () => {
    const { app, deps } = await station();
    const response = await scanThrough(
      app,
      scannerOf(deps.devices),
      { name: 'scan', text: CCCD_TEXT },
      { dateOfExpiry: '391231' },
    );
    expect(response.json()).toMatchObject({ ok: true, key: { dateOfExpiry: '391231' }, expiryFrom: 'given' });
  });

  it('reads Vietnamese through a keyboard-wedge scanner (ALT + keypad) the same as through serial', async () => {
    const { app, deps } = await station({ kind: 'hid' });
    expect((await app.inject('/sim/barcode')).json().state.transport).toBe('hid');
    const response = await scanThrough(app, scannerOf(deps.devices), { name: 'scan-card' });
    expect(response.json()).toMatchObject({
      ok: true,
      text: sampleCardQrText(),
      key: { id12: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' },
    });
    expect(sampleCardQrText()).toBe(CCCD_TEXT);
  });

  it('answers a code that is not a CCCD with ok: false, QR_INVALID and the officer message', async () => {
    const { app, deps } = await station();
    const response = await scanThrough(app, scannerOf(deps.devices), {
      name: 'scan',
      text: 'https://example.com/menu',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      ok: false,
      code: 'QR_INVALID',
      message: { vi: expect.stringMatching(/Mã QR/), en: expect.stringMatching(/QR code/) },
      text: 'https://example.com/menu',
      key: null,
    });
  });

  it('times out with DEVICE_TIMEOUT and what the officer should do', async () => {
    const { app } = await station();
    const response = await app.inject({
      method: 'POST',
      url: '/devices/barcode/scan',
      payload: { timeoutMs: 1 },
    });
    expect(response.statusCode).toBe(504);
    expect(response.json().error).toMatchObject({
      code: 'DEVICE_TIMEOUT',
      officer: { vi: expect.stringMatching(/quét/), en: expect.stringMatching(/scanner/) },
    });
  });

  it('says a scanner is unplugged (503 DEVICE_DISCONNECTED) and reads again once it is back', async () => {
    const { app, deps } = await station({ watchMs: 50 });
    const scanner = scannerOf(deps.devices);
    const unplug = await app.inject({
      method: 'PUT',
      url: '/sim/barcode/scenario',
      payload: { scenario: 'unplugged' },
    });
    expect(unplug.statusCode).toBe(200);
    const refused = await app.inject({ method: 'POST', url: '/devices/barcode/scan', payload: {} });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({
      code: 'DEVICE_DISCONNECTED',
      officer: { vi: expect.any(String) },
    });
    const scanWhileUnplugged = await app.inject({
      method: 'POST',
      url: '/sim/barcode/actions/scan',
      payload: { text: CCCD_TEXT },
    });
    expect(scanWhileUnplugged.statusCode).toBe(409);
    expect(scanWhileUnplugged.json().error.code).toBe('SCANNER_UNPLUGGED');

    await app.inject({ method: 'PUT', url: '/sim/barcode/scenario', payload: { scenario: 'normal' } });
    await new Promise<void>((resolve) => {
      if (scanner.state().status === 'ready') return resolve();
      const off = scanner.onStateChange((state) => {
        if (state.status === 'ready') {
          off();
          resolve();
        }
      });
    });
    const response = await scanThrough(app, scanner, { name: 'scan', text: CCCD_TEXT });
    expect(response.json()).toMatchObject({ ok: true });
  });

  it('refuses unknown devices, devices that do not scan, and unknown request keys', async () => {
    const { app } = await station();
    const missing = await app.inject({ method: 'POST', url: '/devices/nope/scan', payload: {} });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('DEVICE_NOT_FOUND');
    const hotplug = await app.inject({ method: 'POST', url: '/devices/usb-hotplug/scan', payload: {} });
    expect(hotplug.statusCode).toBe(400);
    expect(hotplug.json().error.code).toBe('NOT_A_BARCODE_SCANNER');
    const typo = await app.inject({ method: 'POST', url: '/devices/barcode/scan', payload: { timeout: 5 } });
    expect(typo.statusCode).toBe(400);
    const badExpiry = await app.inject({
      method: 'POST',
      url: '/devices/barcode/scan',
      payload: { dateOfExpiry: '2039-01-01' },
    });
    expect(badExpiry.statusCode).toBe(400);
  });

  it('stops waiting when the client hangs up', async () => {
    const { app, deps } = await station();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    const scanner = scannerOf(deps.devices);
    const waiting = waitingFor(scanner);
    const client = new AbortController();
    const request = fetch(`http://127.0.0.1:${address.port}/devices/barcode/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timeoutMs: 60_000 }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    const signal = await waiting;
    expect(signal?.aborted).toBe(false);
    client.abort();
    await request;
    await new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    expect(signal?.aborted).toBe(true);
  });
});
