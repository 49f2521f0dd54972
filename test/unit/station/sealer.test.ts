/**
 * Sealing (issue 18): a capture set becomes a durable outbox entry once, whatever the retries; a
 * capture set of another station or environment is refused before anything is built.
 */
import { describe, expect, it } from 'vitest';
import { MemoryOutboxFs } from '../../../station/outbox/memory-fs.ts';
import { Outbox } from '../../../station/outbox/outbox.ts';
import type { CaptureSet } from '../../../station/packets/capture-set.ts';
import { PacketStationError } from '../../../station/packets/errors.ts';
import { Sealer } from '../../../station/packets/sealer.ts';
import { createPacketTestPki } from '../../support/packet-keys.ts';

const PACKET = '3f1c2a9e-5b7d-4c1e-8a2f-0d9e8c7b6a51';
const SESSION = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';

function captureSet(overrides: Partial<CaptureSet> = {}): CaptureSet {
  // The fake builder never reads the images: only the ids and identity fields matter here.
  return {
    packetId: PACKET,
    enrollmentSessionId: SESSION,
    environment: 'test',
    stationId: 'station-0001',
    ...overrides,
  } as CaptureSet;
}

async function setup() {
  const pki = await createPacketTestPki();
  const fs = new MemoryOutboxFs();
  const outbox = await Outbox.open({ fs });
  const builds: string[] = [];
  let counter = 0;
  const builder = {
    async build(set: CaptureSet) {
      builds.push(set.packetId);
      counter += 1;
      // Different bytes at every build: a second build would change the digest.
      return { packet: new Uint8Array(1000).fill(counter) } as never;
    },
  };
  const sealed: string[] = [];
  const sealer = new Sealer({
    builder,
    outbox,
    credentials: async () => ({ signer: pki.signer, recipientCertificate: pki.central.certificate }),
    clock: { now: () => 1_800_000_000_000, monotonic: () => performance.now() },
    stationId: 'station-0001',
    environment: 'test',
    onSealed: (entry) => sealed.push(entry.packetId),
  });
  return { outbox, fs, sealer, builds, sealed };
}

describe('Sealer', () => {
  it('seals once: a retry with the same packet id returns the stored packet and builds nothing', async () => {
    const { sealer, outbox, builds, sealed } = await setup();
    const first = await sealer.seal(captureSet());
    const again = await sealer.seal(captureSet());
    expect(first.built).toBe(true);
    expect(again.built).toBe(false);
    expect(builds).toEqual([PACKET]);
    expect(again.entry.digest).toBe(first.entry.digest);
    expect(outbox.list().map((e) => [e.packetId, e.state])).toEqual([[PACKET, 'queued']]);
    expect(sealed).toEqual([PACKET, PACKET]);
  });

  it('two seals of one packet at once build once', async () => {
    const { sealer, builds } = await setup();
    const [a, b] = await Promise.all([sealer.seal(captureSet()), sealer.seal(captureSet())]);
    expect(builds).toHaveLength(1);
    expect(a.entry.digest).toBe(b.entry.digest);
  });

  it('refuses a capture set of another station or environment before building', async () => {
    const { sealer, builds, outbox } = await setup();
    for (const wrong of [{ stationId: 'station-0002' }, { environment: 'production' as const }]) {
      const error = await sealer.seal(captureSet(wrong)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PacketStationError);
      expect((error as PacketStationError).code).toBe('PACKET_CAPTURE_INVALID');
    }
    expect(builds).toEqual([]);
    expect(outbox.list()).toEqual([]);
  });

  it('a failed build leaves nothing queued and can be sealed again', async () => {
    const { outbox } = await setup();
    let fail = true;
    const sealer = new Sealer({
      builder: {
        async build() {
          if (fail) throw new PacketStationError('PACKET_WORKER_FAILED', 'worker died');
          return { packet: new Uint8Array([1, 2, 3]) } as never;
        },
      },
      outbox,
      credentials: async () => ({ signer: {} as never, recipientCertificate: new Uint8Array() }),
      clock: { now: () => 0, monotonic: () => performance.now() },
      stationId: 'station-0001',
      environment: 'test',
    });
    await expect(sealer.seal(captureSet())).rejects.toMatchObject({ code: 'PACKET_WORKER_FAILED' });
    expect(outbox.list()).toEqual([]);
    fail = false;
    const sealed = await sealer.seal(captureSet());
    expect(sealed.built).toBe(true);
    expect(outbox.list().map((e) => [e.packetId, e.size])).toEqual([[PACKET, 3]]);
  });
});
