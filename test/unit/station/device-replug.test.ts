/**
 * Device state that tells the truth: a scanner pulled off the station shows `disconnected` in
 * GET /devices and GET /health within a second, `ready` again within a second of being plugged
 * back, and the first capture after that succeeds (no failed capture in between). Both families:
 * the FPSCAN HID scanner (unplugged through its simulator or through the simulated USB bus) and the
 * R30x serial module on its in-memory line.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_SLAP_SCANNER } from '../../../simulators/scanner/hid-scanner-sim.ts';
import { embeddedStation } from '../../support/station.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** The device's status as /devices/:id and /health report it. */
async function statuses(app: FastifyInstance, id: string): Promise<{ devices: string; health: string }> {
  const device = (await app.inject(`/devices/${id}`)).json();
  const health = (await app.inject('/health')).json();
  const inHealth = health.devices.find((d: { id: string }) => d.id === id);
  return { devices: device.state.status, health: inHealth.state.status };
}

/**
 * Polls until both /devices and /health report `status` for `id`; resolves the time it took, ms.
 * Fails once `withinMs` has passed.
 */
async function waitForStatus(app: FastifyInstance, id: string, status: string, withinMs: number) {
  const started = performance.now();
  let seen = await statuses(app, id);
  while (seen.devices !== status || seen.health !== status) {
    if (performance.now() - started > withinMs)
      throw new Error(`${id} still ${JSON.stringify(seen)} after ${withinMs} ms, expected ${status}`);
    await new Promise((r) => setTimeout(r, 20));
    seen = await statuses(app, id);
  }
  return performance.now() - started;
}

async function act(app: FastifyInstance, simulator: string, action: string, payload: object = {}) {
  const response = await app.inject({ method: 'POST', url: `/sim/${simulator}/actions/${action}`, payload });
  expect(response.statusCode, response.body).toBe(200);
}

function capture(app: FastifyInstance, id: string) {
  return app.inject({ method: 'POST', url: `/devices/${id}/capture`, payload: { mode: 'flat-single' } });
}

describe('an unplugged HID scanner', () => {
  it('shows disconnected within a second of the unplug, ready within a second of the re-plug, and the first capture after it succeeds', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const { app } = station;
    expect(await statuses(app, 'scanner-hid')).toEqual({ devices: 'ready', health: 'ready' });

    await act(app, 'scanner-hid', 'unplug');
    expect(await waitForStatus(app, 'scanner-hid', 'disconnected', 1000)).toBeLessThan(1000);
    expect((await app.inject('/health')).json().status).toBe('degraded');
    const refused = await capture(app, 'scanner-hid');
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('DEVICE_DISCONNECTED');

    await act(app, 'scanner-hid', 'plug');
    expect(await waitForStatus(app, 'scanner-hid', 'ready', 1000)).toBeLessThan(1000);
    const response = await capture(app, 'scanner-hid');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().image).toMatchObject({ mode: 'flat-single', width: 500, use: 'enrollment' });
  });

  it('follows the simulated USB bus: a detach there is an unplug, an attach a re-plug', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const { app } = station;
    const ids = { vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId };

    await act(app, 'usb', 'detach', ids);
    await waitForStatus(app, 'scanner-hid', 'disconnected', 1000);
    expect((await app.inject('/sim/scanner-hid')).json()).toMatchObject({ state: { plugged: false } });

    await act(app, 'usb', 'attach', ids);
    await waitForStatus(app, 'scanner-hid', 'ready', 1000);
    const response = await capture(app, 'scanner-hid');
    expect(response.statusCode, response.body).toBe(200);
    // The bus holds the scanner once, as before the unplug.
    expect((await app.inject('/sim/usb')).json().state.devices).toHaveLength(1);
  });

  it('comes back after an unplug in the middle of an image: the failed capture says disconnected, the next one works', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    const { app } = station;
    await app.inject({
      method: 'PUT',
      url: '/sim/scanner-hid/scenario',
      payload: { scenario: 'unplug-mid-transfer' },
    });
    const failed = await capture(app, 'scanner-hid');
    expect(failed.json().error.code).toBe('DEVICE_DISCONNECTED');
    await app.inject({ method: 'PUT', url: '/sim/scanner-hid/scenario', payload: { scenario: 'good' } });
    // The simulator plugs itself back in 200 ms later.
    await waitForStatus(app, 'scanner-hid', 'ready', 1000);
    expect((await capture(app, 'scanner-hid')).statusCode).toBe(200);
  });
});

describe('an unplugged serial module', () => {
  it('shows disconnected within a second of the unplug, ready within a second of the re-plug, and the first capture after it succeeds', async () => {
    const station = await embeddedStation({ devices: { fingerprintSerial: { baudRate: 115200 } } });
    cleanups.push(station.cleanup);
    const { app } = station;
    expect(await statuses(app, 'scanner-serial')).toEqual({ devices: 'ready', health: 'ready' });

    await act(app, 'scanner-serial', 'unplug');
    expect(await waitForStatus(app, 'scanner-serial', 'disconnected', 1000)).toBeLessThan(1000);
    expect((await app.inject('/health')).json().status).toBe('degraded');

    await act(app, 'scanner-serial', 'plug');
    expect(await waitForStatus(app, 'scanner-serial', 'ready', 1000)).toBeLessThan(1000);
    const response = await capture(app, 'scanner-serial');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().image).toMatchObject({ width: 256, height: 288, use: 'verification-only' });
  }, 30_000);
});

describe('a serial module holding another password', () => {
  it('makes the capture fail with WRONG_PASSWORD naming the setting to fix, shows error, and works again once the password matches', async () => {
    const station = await embeddedStation({ devices: { fingerprintSerial: { baudRate: 115200 } } });
    cleanups.push(station.cleanup);
    const { app } = station;
    const scenario = (name: string) =>
      app.inject({ method: 'PUT', url: '/sim/scanner-serial/scenario', payload: { scenario: name } });
    await scenario('wrong-password');
    const refused = await capture(app, 'scanner-serial');
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({
      code: 'DEVICE_REPORTED_ERROR',
      deviceCode: 'WRONG_PASSWORD',
      message: expect.stringContaining('devices.fingerprintSerial.password'),
    });
    expect(await statuses(app, 'scanner-serial')).toEqual({ devices: 'error', health: 'error' });

    await scenario('good');
    const response = await capture(app, 'scanner-serial');
    expect(response.statusCode, response.body).toBe(200);
    expect(await statuses(app, 'scanner-serial')).toEqual({ devices: 'ready', health: 'ready' });
  }, 30_000);
});
