/**
 * Devices shared between sessions (issue 21, part 7): the lease registry on its own, then two
 * enrollments through the HTTP routes racing for one scanner: the second is told at once who holds
 * it (409 DEVICE_IN_USE, the officer's name and purpose in Vietnamese and English), and abandoning
 * the first mid-capture cancels its capture and lets the second capture. The direct capture route
 * over a real socket: a second client is refused at once, and the first hanging up frees the scanner.
 */
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { CanceledError } from '../../../drivers/errors.ts';
import type { MccTemplate } from '../../../protocol/fingerprint/match/index.ts';
import { systemClock } from '../../../station/clock.ts';
import { DeviceInUseError, DeviceLeases } from '../../../station/devices/leases.ts';
import type { SlapCapture } from '../../../station/packets/capture-set.ts';
import { enrollmentRoutes } from '../../../station/plugins/enrollment.ts';
import { DraftStore } from '../../../station/workflows/enrollment/draft-store.ts';
import { HAND_POSITIONS } from '../../../station/workflows/enrollment/machine.ts';
import { type EnrollmentPorts, EnrollmentService } from '../../../station/workflows/enrollment/service.ts';
import { embeddedStation, ManualClock, tempDir } from '../../support/station.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const holder = (sessionId: string, officerName = 'Cán bộ Một') => ({
  sessionId,
  officerId: `id-${officerName.length}`,
  officerName,
  purpose: 'enrollment.capture-slap' as const,
});

describe('DeviceLeases', () => {
  it('one holder per device: another session is refused at once with the holder named; the same session may nest', () => {
    const leases = new DeviceLeases(new ManualClock(Date.parse('2026-12-07T03:00:00Z')));
    const a = leases.acquire(['scanner-hid'], holder('session-a'));
    let refused: unknown;
    try {
      leases.acquire(['camera', 'scanner-hid'], holder('session-b', 'Cán bộ Hai'));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DeviceInUseError);
    const error = refused as DeviceInUseError;
    expect(error).toMatchObject({
      code: 'DEVICE_IN_USE',
      statusCode: 409,
      deviceId: 'scanner-hid',
      holder: {
        officerName: 'Cán bộ Một',
        purpose: 'enrollment.capture-slap',
        since: '2026-12-07T03:00:00.000Z',
      },
    });
    expect(error.officer.vi).toContain('Cán bộ Một');
    expect(error.officer.vi).toContain('lấy vân tay');
    expect(error.officer.en).toContain('in use by Cán bộ Một');
    // All or nothing: the camera was not taken by the refused request.
    expect(leases.holderOf('camera')).toBeUndefined();

    const nested = leases.acquire(['scanner-hid'], holder('session-a'));
    nested.release();
    expect(leases.holderOf('scanner-hid')?.sessionId).toBe('session-a');
    a.release();
    a.release();
    expect(leases.list()).toEqual([]);
    leases.acquire(['scanner-hid'], holder('session-b')).release();
  });

  it('ending a session aborts the work on its devices; each is free once its holder has stopped', async () => {
    const leases = new DeviceLeases();
    const lease = leases.acquire(['reader', 'camera'], holder('session-a'));
    expect(lease.signal.aborted).toBe(false);
    expect(leases.releaseSession('session-a', 'abandoned').sort()).toEqual(['camera', 'reader']);
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toBeInstanceOf(CanceledError);
    // Still held while the holder's driver stops, so nobody else gets a device mid-teardown.
    expect(() => leases.acquire(['reader'], holder('session-b'))).toThrow(DeviceInUseError);
    lease.release();
    expect(leases.list()).toEqual([]);
    const b = leases.acquire(['reader'], holder('session-b'));
    lease.release();
    expect(leases.holderOf('reader')?.sessionId).toBe('session-b');
    b.release();
  });

  it("run() releases when the work settles, and an aborted request's signal cancels the work", async () => {
    const leases = new DeviceLeases();
    const request = new AbortController();
    const work = leases.run(
      ['scanner-hid'],
      holder('request:1'),
      (signal) =>
        new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        ),
      { signal: request.signal },
    );
    expect(leases.holderOf('scanner-hid')?.sessionId).toBe('request:1');
    request.abort();
    await expect(work).rejects.toBeInstanceOf(CanceledError);
    expect(leases.holderOf('scanner-hid')).toBeUndefined();
    await expect(leases.run(['scanner-hid'], holder('s'), async () => 'done')).resolves.toBe('done');
    expect(leases.list()).toEqual([]);
  });
});

const DEVICE = { model: 'sim', serialNumber: '1', firmware: '1', certificate: new Uint8Array([48, 0]) };
const PERSON = {
  personalId: '001099012345',
  fullName: 'Nguyễn Văn An',
  birthDate: '1999-01-01',
  sex: 'male',
  ethnicity: 'Kinh',
  religion: 'Không',
  placeOfOrigin: 'Hà Nội',
  placeOfBirthRegistration: 'Hà Nội',
  placeOfResidence: '1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
};

/**
 * A scanner that waits for a finger until `place()` is called or the capture's signal aborts it
 * (as the HID driver does: CanceledError).
 */
function waitingScanner() {
  const waiting: { resolve: () => void }[] = [];
  const outcomes: string[] = [];
  const ports: EnrollmentPorts = {
    devicesFor: (capture) => (capture.kind === 'slap' ? ['scanner-hid'] : ['camera']),
    async captureSlap(hand, { missing, signal }) {
      try {
        await new Promise<void>((resolve, reject) => {
          const waiter = { resolve };
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener(
            'abort',
            () => {
              waiting.splice(waiting.indexOf(waiter), 1);
              reject(signal.reason);
            },
            { once: true },
          );
          waiting.push(waiter);
        });
      } catch (error) {
        outcomes.push('canceled');
        if (!(error instanceof CanceledError)) throw error;
        return { ok: false, code: error.code, message: { vi: 'Đã hủy.', en: error.message } };
      }
      outcomes.push('captured');
      const fingers = HAND_POSITIONS[hand]
        .filter((p) => !missing.includes(p))
        .map((position) => ({
          position,
          box: { x: 0, y: 0, width: 10, height: 10 },
          width: 10,
          height: 10,
          score: 80,
          wsq: new Uint8Array([position]),
        }));
      const slap: SlapCapture = {
        hand,
        width: 100,
        height: 100,
        wsq: new Uint8Array([hand.length]),
        fingers,
        device: DEVICE,
        attestation: { signature: new Uint8Array([1]) },
        attempts: 1,
      };
      return {
        ok: true,
        slap,
        templates: fingers.map((f) => ({ position: f.position, template: {} as MccTemplate })),
      };
    },
    async capturePortrait() {
      return {
        ok: true,
        capture: {
          jpeg: new Uint8Array([0xff, 0xd8, 1]),
          device: DEVICE,
          attestation: { signature: new Uint8Array([2]) },
          attempts: 1,
        },
      };
    },
    templatesOf: async () => [],
    checkSet: async () => [],
    lookupCitizen: async () => undefined,
    seal: async (set) => ({ packetId: set.packetId, state: 'queued', sha256: 'ab'.repeat(32) }),
  };
  return {
    ports,
    outcomes,
    waiting: () => waiting.length,
    place: () => waiting.shift()?.resolve(),
  };
}

async function enrollmentApp(ports: EnrollmentPorts): Promise<FastifyInstance> {
  const tmp = tempDir('leases-');
  const store = new DraftStore(path.join(tmp.dir, 'drafts'), new Uint8Array(32).fill(7));
  const service = new EnrollmentService({
    store,
    ports,
    clock: new ManualClock(Date.parse('2026-12-07T03:00:00Z')),
    stationId: 'dev-station-01',
    environment: 'test',
    signingGrant: async () => ({ ok: false, reason: 'not in this test' }),
    leases: new DeviceLeases(),
  });
  const names: Record<string, string> = { 'off-1': 'Cán bộ Một', 'off-2': 'Cán bộ Hai' };
  // As the station's app: unknown keys refused, not stripped (the step schema is a oneOf).
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  });
  await app.register(
    enrollmentRoutes({
      service,
      officerOf: (request) => {
        const id = String(request.headers['x-officer'] ?? '');
        const displayName = names[id];
        return displayName === undefined ? undefined : { id, roles: ['officer'], displayName };
      },
    }),
  );
  cleanups.push(async () => {
    await app.close();
    tmp.remove();
  });
  return app;
}

describe('two enrollments and one scanner', () => {
  it('the second gets 409 DEVICE_IN_USE at once; abandoning the first mid-capture frees the scanner for it', async () => {
    const scanner = waitingScanner();
    const app = await enrollmentApp(scanner.ports);
    const step = (officer: string, id: string, version: number, body: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url: `/enrollments/${id}/steps`,
        headers: { 'x-officer': officer },
        payload: { version, step: body },
      });
    const open = async (officer: string) => {
      const r = await app.inject({ method: 'POST', url: '/enrollments', headers: { 'x-officer': officer } });
      const id: string = r.json().id;
      let version = 0;
      for (const body of [
        { kind: 'choose-type', type: 'first-issue' },
        { kind: 'demographics', input: PERSON },
        { kind: 'capture-portrait' },
      ]) {
        const answer = await step(officer, id, version, body);
        expect(answer.statusCode, answer.body).toBe(200);
        version = answer.json().outcome.version;
      }
      return { id, version };
    };
    const first = await open('off-1');
    const second = await open('off-2');

    // The first officer's capture waits for a finger on the glass.
    const firstCapture = step('off-1', first.id, first.version, { kind: 'capture-slap', hand: 'right' });
    for (let i = 0; i < 100 && scanner.waiting() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(scanner.waiting()).toBe(1);

    // The second is told at once (the first's capture is still waiting), not queued behind it.
    const refused = await step('off-2', second.id, second.version, { kind: 'capture-slap', hand: 'right' });
    expect(refused.statusCode).toBe(409);
    const error = refused.json().error;
    expect(error).toMatchObject({
      code: 'DEVICE_IN_USE',
      deviceId: 'scanner-hid',
      holder: { officerName: 'Cán bộ Một', purpose: 'enrollment.capture-slap' },
      stage: 'fingerprints',
    });
    expect(error.messages.vi).toMatch(/^Thiết bị scanner-hid đang được Cán bộ Một dùng/);
    expect(error.messages.en).toContain('in use by Cán bộ Một');
    expect(error.message).toBe(error.messages.en);
    expect(scanner.waiting()).toBe(1);

    // The first officer abandons mid-capture: the capture is canceled and the enrollment closed.
    const abandoned = await step('off-1', first.id, first.version, {
      kind: 'abandon',
      reason: 'citizen left',
    });
    expect(abandoned.statusCode, abandoned.body).toBe(200);
    expect(abandoned.json().outcome.stage).toBe('abandoned');
    const canceled = await firstCapture;
    expect(canceled.statusCode).toBe(422);
    expect(canceled.json().error.code).toBe('DEVICE_CANCELED');
    expect(scanner.outcomes).toEqual(['canceled']);

    // Now the second proceeds.
    const capture = step('off-2', second.id, second.version, { kind: 'capture-slap', hand: 'right' });
    for (let i = 0; i < 100 && scanner.waiting() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    scanner.place();
    const captured = await capture;
    expect(captured.statusCode, captured.body).toBe(200);
    expect(captured.json().draft.slaps[0]).toMatchObject({ hand: 'right', attempts: 1 });
    expect(scanner.outcomes).toEqual(['canceled', 'captured']);
  });
});

describe('the direct capture route and a client that hangs up', () => {
  it('a second capture of a busy scanner is 409 DEVICE_IN_USE at once; the first client hanging up frees it', async () => {
    const station = await embeddedStation(
      {
        devices: {
          fingerprintSerial: { mode: 'disabled' },
          camera: { mode: 'disabled' },
          cardReader: { mode: 'disabled' },
          barcode: { mode: 'disabled' },
        },
        hotpath: { workers: 1 },
      },
      systemClock,
    );
    cleanups.push(station.cleanup);
    const { app } = station;
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const headers = { 'content-type': 'application/json', host: '127.0.0.1:8080' };
    const scenario = await fetch(`${url}/sim/scanner-hid/scenario`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ scenario: 'no-finger' }),
    });
    expect(scenario.status).toBe(200);
    const capture = (signal?: AbortSignal) =>
      fetch(`${url}/devices/scanner-hid/capture`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ mode: 'flat-single', timeoutMs: 30_000 }),
        ...(signal === undefined ? {} : { signal }),
      });
    const hangUp = new AbortController();
    const first = capture(hangUp.signal).catch((error: unknown) => error);
    // Wait until the first request holds the scanner (GET /devices/leases shows who holds what).
    let held: { deviceId: string; purpose: string }[] = [];
    for (let i = 0; i < 200 && held.length === 0; i++) {
      held = ((await (await fetch(`${url}/devices/leases`, { headers })).json()) as { leases: typeof held })
        .leases;
      if (held.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(held).toMatchObject([{ deviceId: 'scanner-hid', purpose: 'device.capture' }]);
    const started = performance.now();
    const second = await capture();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(second.status).toBe(409);
    const body = (await second.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      code: 'DEVICE_IN_USE',
      deviceId: 'scanner-hid',
      holder: { purpose: 'device.capture', officerName: 'anonymous' },
    });
    expect((body.error.messages as { vi: string }).vi).toContain('lấy vân tay trực tiếp');
    hangUp.abort();
    expect(await first).toBeInstanceOf(Error);
    // Freed: with a finger on the glass again the next capture goes through.
    await fetch(`${url}/sim/scanner-hid/scenario`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ scenario: 'good' }),
    });
    for (let i = 0; i < 200 && held.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      held = ((await (await fetch(`${url}/devices/leases`, { headers })).json()) as { leases: typeof held })
        .leases;
    }
    expect(held).toEqual([]);
    const third = await capture();
    expect(third.status).toBe(200);
  }, 60_000);
});
