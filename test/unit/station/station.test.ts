import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceState } from '../../../drivers/device.ts';
import { HotplugMonitor } from '../../../drivers/hotplug/hotplug-monitor.ts';
import type { HotplugEvent, HotplugPort, UsbDeviceRef } from '../../../drivers/hotplug/port.ts';
import { startCentralSimulator } from '../../../simulators/central/server.ts';
import { SimulatedUsbBus } from '../../../simulators/hotplug/simulated-hotplug.ts';
import { buildStation } from '../../../station/app.ts';
import { HttpCentralLink } from '../../../station/central/link.ts';
import { ConfigError } from '../../../station/errors.ts';
import { decodeGreyPng } from '../../../station/imaging/grey-image.ts';
import { SpoolOutboxStatus } from '../../../station/outbox/status.ts';
import { PINNED_NODE_VERSION } from '../../../station/runtime.ts';
import { embeddedStation, ManualClock, tempDir, testConfig } from '../../support/station.ts';

/** A hardware-mode port for production tests: records whether it was released. */
class RecordingPort implements HotplugPort {
  listening = 0;
  closed = false;
  async list(): Promise<readonly UsbDeviceRef[]> {
    return [];
  }
  listen(_observer: (event: HotplugEvent) => void): () => void {
    this.listening++;
    return () => {
      this.listening--;
    };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('GET /health on the embedded simulated station', () => {
  it('reports version, uptime, each device with its state, outbox depth and central reachability', async () => {
    const clock = new ManualClock();
    const station = await embeddedStation({ stationId: 'HCM-Q1-02' }, clock);
    cleanups.push(station.cleanup);
    clock.advance(1500);

    const response = await station.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      status: 'ok',
      version: '0.1.0',
      // The pinned runtime (scripts/runtime.env), which these tests run on.
      runtime: { node: PINNED_NODE_VERSION },
      environment: 'test',
      stationId: 'HCM-Q1-02',
      uptimeMs: 1500,
      devices: [
        {
          id: 'usb-hotplug',
          family: 'hotplug',
          mode: 'simulated',
          // The simulated HID scanner is plugged into the simulated bus.
          state: { status: 'ready', detail: { usbDevices: 1 } },
        },
        {
          id: 'scanner-hid',
          family: 'fingerprint-hid',
          mode: 'simulated',
          state: { status: 'ready', detail: { model: 'SIM-FAP60', ppi: 500 } },
        },
        {
          id: 'scanner-serial',
          family: 'fingerprint-serial',
          mode: 'simulated',
          state: { status: 'ready', detail: { baud: 57600, use: 'verification-only' } },
        },
        // The simulated camera's frames come through ffmpeg, as a real camera's would.
        {
          id: 'camera',
          family: 'camera',
          mode: 'simulated',
          state: { status: 'ready', detail: { source: 'pipe', width: 640, height: 480 } },
        },
        // The simulated CCCD starts in the simulated reader.
        { id: 'card-reader', family: 'card-reader', mode: 'simulated', state: { status: 'ready' } },
        { id: 'barcode', family: 'barcode', mode: 'simulated', state: { status: 'ready' } },
      ],
      outbox: { depth: 0 },
      central: { mode: 'embedded', reachable: true, environment: 'test' },
      // Workers start on the first job (or at `npm start`, after listen).
      hotpath: { started: false, workers: 0, crashed: 0 },
    });
    expect(body.central.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('reports the outbox depth: packets waiting for a receipt', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const store = station.deps.storeAndForward;
    if (store === undefined) throw new Error('the embedded station has no outbox');
    // Hold the uploader so the packets stay waiting while /health is asked.
    await (store.uploader as unknown as { stop(): Promise<void> }).stop();
    await store.outbox.enqueue('00000000-0000-4000-8000-000000000001', new Uint8Array([1, 2, 3]));
    await store.outbox.enqueue('00000000-0000-4000-8000-000000000002', new Uint8Array([4, 5, 6]));
    expect((await station.app.inject('/health')).json().outbox).toEqual({ depth: 2 });
  });

  it('follows device state changes made through the simulator routes', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const attach = await station.app.inject({
      method: 'POST',
      url: '/sim/usb/actions/attach',
      payload: { vendorId: 0x1c7a, productId: 0x0603 },
    });
    expect(attach.statusCode).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await station.app.inject('/health')).json().devices[0].state).toEqual({
      status: 'ready',
      detail: { usbDevices: 2 },
    });
  });

  it('is degraded, naming the problem, when the central service does not answer', async () => {
    const central = await startCentralSimulator({ environment: 'test' });
    const url = central.url;
    await central.close(); // nothing listens there now
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    const clock = new ManualClock();
    const app = await buildStation({
      config: testConfig({}, tmp.dir),
      devices: [],
      clock,
      central: new HttpCentralLink({ url, mode: 'remote', environment: 'test', timeoutMs: 1000, clock }),
      outbox: new SpoolOutboxStatus(tmp.dir),
      logger: false,
    });
    cleanups.push(() => app.close());
    await new SpoolOutboxStatus(tmp.dir).prepare();
    const body = (await app.inject('/health')).json();
    expect(body.status).toBe('degraded');
    expect(body.central).toMatchObject({
      reachable: false,
      problem: expect.stringMatching(/cannot connect/),
    });
  });

  it('refuses a central service of the other environment', async () => {
    const central = await startCentralSimulator({ environment: 'production' });
    cleanups.push(() => central.close());
    const clock = new ManualClock();
    const link = new HttpCentralLink({
      url: central.url,
      mode: 'remote',
      environment: 'test',
      timeoutMs: 1000,
      clock,
    });
    expect(await link.reachability()).toMatchObject({
      reachable: false,
      environment: 'production',
      problem: 'the service serves environment "production", this station is "test"',
    });
  });
});

describe('the /sim/ convention', () => {
  it('lists simulators with their scenarios and actions', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const body = (await station.app.inject('/sim/')).json();
    expect(body.simulators.map((s: { name: string }) => s.name)).toEqual([
      'usb',
      'scanner-hid',
      'scanner-serial',
      'camera',
      'card',
      'pcsc',
      'barcode',
      'applicant',
    ]);
    expect(body.simulators[0]).toMatchObject({ scenario: 'normal', scenarios: ['normal'] });
    expect(body.simulators[0].actions.map((a: { name: string }) => a.name)).toEqual(['attach', 'detach']);
  });

  it('rejects an unknown scenario with 400 and the allowed values', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const response = await station.app.inject({
      method: 'PUT',
      url: '/sim/usb/scenario',
      payload: { scenario: 'dry' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/body\/scenario: must be one of: normal \(got "dry"\)/);
  });

  it('validates action input against the action schema', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const response = await station.app.inject({
      method: 'POST',
      url: '/sim/usb/actions/attach',
      payload: { vendorId: 70000, productId: 1 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/vendorId/);
  });

  it('answers 409 with the simulator error code when an action is impossible in the current state', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const response = await station.app.inject({
      method: 'POST',
      url: '/sim/usb/actions/detach',
      payload: { vendorId: 1, productId: 2 },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('SIM_USB_NOT_PRESENT');
  });

  it('is not mounted when simulators.routes is false in test', async () => {
    const station = await embeddedStation({ simulators: { routes: false } });
    cleanups.push(station.cleanup);
    expect((await station.app.inject('/sim/')).statusCode).toBe(404);
  });
});

describe('test and production never mix', () => {
  function productionDeps(tmpDir: string, port: RecordingPort, mode: 'hardware' | 'simulated' = 'hardware') {
    const clock = new ManualClock();
    return {
      config: testConfig(
        {
          environment: 'production',
          devices: {
            hotplug: { mode: 'hardware' },
            fingerprintHid: { mode: 'disabled' },
            fingerprintSerial: { mode: 'disabled' },
            cardReader: { mode: 'disabled' },
          },
          central: {
            mode: 'remote',
            url: 'https://127.0.0.1:9',
            tlsCa: 'central-ca.pem',
            statementCertificates: 'central-statements.pem',
          },
        },
        tmpDir,
      ),
      devices: [new HotplugMonitor(port, mode)],
      clock,
      central: new HttpCentralLink({
        url: 'http://127.0.0.1:9',
        mode: 'remote',
        environment: 'production',
        timeoutMs: 200,
        clock,
      }),
      outbox: new SpoolOutboxStatus(tmpDir),
      logger: false,
    } as const;
  }

  it('answers 404 on /sim/ in production', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    const app = await buildStation(productionDeps(tmp.dir, new RecordingPort()));
    cleanups.push(() => app.close());
    expect((await app.inject('/sim/')).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'POST', url: '/sim/usb/actions/attach', payload: {} })).statusCode,
    ).toBe(404);
    expect((await app.inject('/health')).json().environment).toBe('production');
  });

  it('refuses to build with a simulated device or simulator controls in production', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    await expect(
      buildStation(productionDeps(tmp.dir, new RecordingPort(), 'simulated')),
    ).rejects.toMatchObject({
      code: 'CONFIG_PRODUCTION_UNSAFE',
      problems: [expect.objectContaining({ key: '/devices (usb-hotplug)' })],
    });
    await expect(
      buildStation({ ...productionDeps(tmp.dir, new RecordingPort()), simulators: [new SimulatedUsbBus()] }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('start and stop', () => {
  it('opens the simulated devices on build and closes them and the embedded central service on close', async () => {
    const station = await embeddedStation();
    const device = station.deps.devices[0];
    expect(device?.state().status).toBe('ready');
    const states: DeviceState[] = [];
    device?.onStateChange((state) => states.push(state));
    const centralUrl = (await station.app.inject('/health')).json().central.url as string;

    await station.cleanup();
    expect(states).toEqual([{ status: 'closed' }]);
    await expect(fetch(`${centralUrl}/v1/health`)).rejects.toThrow();
  });

  it('closes the hardware hot-plug port and its listener on close', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    const port = new RecordingPort();
    const clock = new ManualClock();
    const app = await buildStation({
      config: testConfig({ devices: { hotplug: { mode: 'hardware' } } }, tmp.dir),
      devices: [new HotplugMonitor(port, 'hardware')],
      clock,
      central: new HttpCentralLink({
        url: 'http://127.0.0.1:9',
        mode: 'remote',
        environment: 'test',
        timeoutMs: 200,
        clock,
      }),
      outbox: new SpoolOutboxStatus(tmp.dir),
      logger: false,
    });
    expect(port.listening).toBe(1);
    await app.close();
    expect(port).toMatchObject({ listening: 0, closed: true });
  });
});

describe('the devices route', () => {
  it('lists every device, with the scanners described', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const { devices } = (await station.app.inject('/devices')).json();
    expect(devices.map((d: { id: string }) => d.id)).toEqual([
      'usb-hotplug',
      'scanner-hid',
      'scanner-serial',
      'camera',
      'card-reader',
      'barcode',
    ]);
    expect(devices[1].scanner).toMatchObject({
      modes: ['flat-single', 'slap-left', 'slap-right', 'two-thumbs'],
      use: 'enrollment',
      certificateSubject: expect.stringContaining('SIM60-000001'),
    });
    expect(devices[2].scanner).toMatchObject({
      modes: ['flat-single'],
      captureWidth: 256,
      use: 'verification-only',
    });
    expect((await station.app.inject('/devices/nope')).json().error.code).toBe('DEVICE_NOT_FOUND');
  });

  it('captures through the HID scanner: a signed image as PNG, with its hash', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const response = await station.app.inject({
      method: 'POST',
      url: '/devices/scanner-hid/capture',
      payload: { mode: 'two-thumbs' },
    });
    expect(response.statusCode).toBe(200);
    const { image, statuses } = response.json();
    expect(image).toMatchObject({
      mode: 'two-thumbs',
      width: 1600,
      height: 1500,
      ppi: 500,
      use: 'enrollment',
    });
    expect(statuses).toContain('processing');
    const pixels = (await decodeGreyPng(Buffer.from(image.png, 'base64'))).pixels;
    expect(createHash('sha256').update(pixels).digest('hex')).toBe(image.sha256);
    expect(image.attestation.nonce).toMatch(/^[0-9a-f]{64}$/);

    const png = await station.app.inject({
      method: 'POST',
      url: '/devices/scanner-hid/capture',
      payload: { mode: 'flat-single', format: 'png' },
    });
    expect(png.headers['content-type']).toBe('image/png');
    expect((await decodeGreyPng(png.rawPayload)).width).toBe(500);
    expect(JSON.parse(String(png.headers['x-capture-metadata']))).toMatchObject({ mode: 'flat-single' });
  });

  it('captures through the serial module at its real line speed, marked verification-only', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const response = await station.app.inject({
      method: 'POST',
      url: '/devices/scanner-serial/capture',
      payload: { mode: 'flat-single' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().image).toMatchObject({
      width: 256,
      height: 288,
      use: 'verification-only',
      attestation: null,
    });
  }, 30_000);

  it('maps failures to HTTP by their stable code: 422 device refusal, 400 not a scanner or bad mode', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const capture = (id: string, payload: unknown) =>
      station.app.inject({ method: 'POST', url: `/devices/${id}/capture`, payload: payload as object });

    let response = await capture('scanner-serial', { mode: 'slap-left' });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({
      code: 'DEVICE_REPORTED_ERROR',
      deviceCode: 'UNSUPPORTED_MODE',
    });

    await station.app.inject({
      method: 'PUT',
      url: '/sim/scanner-hid/scenario',
      payload: { scenario: 'bad-signature' },
    });
    response = await capture('scanner-hid', { mode: 'flat-single' });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('DEVICE_INTEGRITY');

    expect((await capture('usb-hotplug', { mode: 'flat-single' })).json().error.code).toBe('NOT_A_SCANNER');
    expect((await capture('scanner-hid', { mode: 'palm' })).statusCode).toBe(400);
    expect((await capture('scanner-hid', { mode: 'flat-single', timeoutMs: 0 })).statusCode).toBe(400);
  });
});
