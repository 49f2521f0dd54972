/**
 * EAC through the real PC/SC stack: `station card read --terminal` with pcsclite -> pcscd ->
 * vsmartcard's vpcd, FIRST slot ("Virtual PCD 00 00", TCP 35963) -> VpcdLink -> the simulated CCCD.
 * PACE-CAN, Chip Authentication, Terminal Authentication with the credentials `station sim card
 * --export-trust` writes, then DG3's two WSQ fingers (about 27 KB: one extended READ BINARY, or
 * over a hundred short ones), decoded and checked by Passive Authentication. A chip of another
 * CVCA gives the rest of the read with DG3 unavailable and why.
 *
 * The slot is shared with pcsc-vpcd.test.ts and `npm run bench:card`: a lock file
 * (test/support/pcsc.ts lockVpcdSlot) keeps two test files from putting cards into it at once. `npm run setup:test` installs pcscd,
 * vsmartcard-vpcd and opensc; without them this test fails saying so.
 */

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import { NativePcsc } from '../../drivers/smartcard/native-pcsc.ts';
import { type CardScenario, CccdCardSimulator } from '../../simulators/card/cccd-card-sim.ts';
import { VpcdLink } from '../../simulators/card/vpcd-link.ts';
import { renderFinger } from '../../simulators/fingerprint/generator.ts';
import { main } from '../../station/cli/main.ts';
import { encodeGreyPng } from '../../station/imaging/grey-image.ts';
import { recordingIo } from '../support/cli.ts';
import { assertPcscReady, lockVpcdSlot } from '../support/pcsc.ts';
import { embeddedStation, ManualClock, tempDir } from '../support/station.ts';

const READER = 'Virtual PCD 00 00';
const VPCD_PORT = 35963;
const tmp = tempDir('card-vpcd-ta-');
let sim: CccdCardSimulator;
let trustDir: string;
let eacDir: string;
let watcher: CardReaderDevice;
let releaseSlot: (() => void) | undefined;
const links: VpcdLink[] = [];

async function readerEmpty(timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (watcher.readers().find((r) => r.name === READER)?.status !== 'empty') {
    if (performance.now() > deadline) throw new Error(`${READER} still shows a card after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function insert(scenario: CardScenario): Promise<VpcdLink> {
  sim.setScenario(scenario);
  const link = new VpcdLink({ ...sim.card(), port: VPCD_PORT });
  links.push(link);
  await link.insert();
  return link;
}

async function cardRead(extra: readonly string[], command: 'read' | 'verify-finger' = 'read') {
  const access = sim.access();
  const io = recordingIo(tmp.dir);
  const code = await main(
    [
      'card',
      command,
      '--reader',
      READER,
      '--id',
      access.id12,
      '--dob',
      access.dateOfBirth,
      '--expiry',
      access.dateOfExpiry,
      '--trust',
      trustDir,
      '--terminal',
      eacDir,
      ...extra,
    ],
    io,
  );
  return { code, io, result: io.out === '' ? undefined : JSON.parse(io.out) };
}

beforeAll(async () => {
  assertPcscReady(VPCD_PORT, 'The EAC card integration test');
  releaseSlot = await lockVpcdSlot(VPCD_PORT);
  sim = await CccdCardSimulator.create();
  trustDir = path.join(tmp.dir, 'trust');
  eacDir = await sim.exportTrust(trustDir);
  watcher = new CardReaderDevice({
    id: 'watch',
    mode: 'hardware',
    openPort: () => NativePcsc.open(),
    reader: READER,
  });
  await watcher.open();
  await readerEmpty();
}, 150_000);

afterEach(async () => {
  while (links.length > 0) await links.pop()?.remove();
  if (watcher) await readerEmpty();
});

afterAll(async () => {
  await watcher?.close();
  releaseSlot?.();
  tmp.remove();
});

describe('EAC through pcscd and vpcd', () => {
  it('PACE-CAN, CA and TA, then DG3 in one extended READ BINARY: both fingers, decoded, vouched for by PA', async () => {
    const link = await insert('valid');
    const { code, io, result } = await cardRead([]);
    expect(io.err).toMatch(/^verdict: USABLE/m);
    expect(code).toBe(0);
    expect(result).toMatchObject({
      reader: READER,
      accessMethod: 'PACE-CAN',
      extendedLength: true,
      genuine: true,
      chip: { chipAuthentication: { status: 'passed' } },
      terminalAuthentication: {
        status: 'passed',
        terminal: 'VNNOTARY00001',
        rights: { dg3: true, dg4: true },
      },
      fingerprints: {
        status: 'read',
        verified: true,
        fingers: [
          { position: 2, width: 500, height: 500, compression: 'wsq', decoded: true },
          { position: 7, width: 500, height: 500, compression: 'wsq', decoded: true },
        ],
      },
      dataGroupsRead: [1, 2, 3, 13, 14, 15],
      notRead: [],
      eacApdus: { terminalAuthentication: 9, dg3: 2 },
    });
    expect(result.apdus).toBe(link.card.apduCount);
    expect(result.timings.terminalAuthenticationMs).toBeGreaterThan(0);
    // Tens of KB of WSQ came through the reader (test/unit/station/read-card-eac.test.ts checks the
    // pixels against the generator's fingers for the holder's seed).
    expect(result.fingerprints.fingers[0].bytes + result.fingerprints.fingers[1].bytes).toBeGreaterThan(
      20_000,
    );
  });

  it("verify-finger: the holder's live finger matches the chip's, another person's does not", async () => {
    // The live finger as a scanner would give it: another impression of the holder's right index.
    const live = async (personSeed: number, name: string) => {
      const { image } = renderFinger({ personSeed, finger: 2, impression: 11 });
      const file = path.join(tmp.dir, name);
      writeFileSync(file, await encodeGreyPng(image, 500));
      return file;
    };
    await insert('valid');
    const holder = await cardRead(
      ['--finger', await live(sim.fingerprintSeed, 'holder.png')],
      'verify-finger',
    );
    expect(holder.io.err).toMatch(/^fingerprint: match/m);
    expect(holder.code).toBe(0);
    expect(holder.result).toMatchObject({
      fingerprint: { decision: 'match', finger: 2, decisionFmr: 0.0001 },
      genuine: true,
      terminalAuthentication: { status: 'passed' },
    });
    expect(holder.result.fingerprint.score).toBeGreaterThanOrEqual(holder.result.fingerprint.threshold);

    const stranger = await cardRead(
      ['--finger', await live(sim.fingerprintSeed ^ 0x5a5a5a5a, 'stranger.png')],
      'verify-finger',
    );
    expect(stranger.code).toBe(1);
    expect(stranger.result).toMatchObject({ fingerprint: { decision: 'no-match' }, genuine: true });
    expect(stranger.result.fingerprint.score).toBeLessThan(stranger.result.fingerprint.threshold);
  });

  it('verify-finger --scanner: the live finger captured from a running station once the card is read', async () => {
    // A station with the simulated HID scanner, listening on a loopback port; its simulated finger
    // is set to the card holder's, then to another person's.
    const station = await embeddedStation(
      { devices: { cardReader: { mode: 'disabled' }, camera: { mode: 'disabled' } } },
      new ManualClock(Date.now()),
    );
    try {
      await station.app.listen({ host: '127.0.0.1', port: 0 });
      const address = station.app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      const url = `http://127.0.0.1:${address.port}`;
      const placeFingerOf = async (personSeed: number) => {
        const r = await fetch(`${url}/sim/scanner-hid/actions/set-person`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ personSeed }),
        });
        expect(r.status).toBe(200);
      };
      await placeFingerOf(sim.fingerprintSeed);
      await insert('valid');
      const holder = await cardRead(['--scanner', 'any', '--url', url], 'verify-finger');
      expect(holder.io.err).toMatch(/place finger 2 flat on the scanner/);
      expect(holder.code).toBe(0);
      expect(holder.result).toMatchObject({ fingerprint: { decision: 'match', finger: 2 }, genuine: true });

      await placeFingerOf(sim.fingerprintSeed ^ 0x5a5a5a5a);
      const stranger = await cardRead(['--scanner', 'scanner-hid', '--url', url], 'verify-finger');
      expect(stranger.code).toBe(1);
      expect(stranger.result).toMatchObject({ fingerprint: { decision: 'no-match' }, genuine: true });

      // A scanner that does not exist: the card is read, the comparison is unavailable and why.
      const unknown = await cardRead(['--scanner', 'any', '--url', 'http://127.0.0.1:9'], 'verify-finger');
      expect(unknown.code).toBe(1);
      expect(unknown.result).toMatchObject({
        fingerprint: { decision: 'unavailable', reason: 'live-capture-failed' },
        genuine: true,
      });
    } finally {
      await station.cleanup();
    }
  });

  it('with short APDUs: the same fingers in over a hundred READ BINARYs, TA still passes', async () => {
    await insert('valid');
    const { code, result } = await cardRead(['--short-apdus']);
    expect(code).toBe(0);
    expect(result).toMatchObject({
      extendedLength: false,
      terminalAuthentication: { status: 'passed' },
      fingerprints: { status: 'read', verified: true },
    });
    expect(result.eacApdus.dg3).toBeGreaterThan(100);
  }, 60_000);

  it('ta-wrong-cvca: the rest is read and genuine, DG3 unavailable with the reason and what to do', async () => {
    await insert('ta-wrong-cvca');
    const { code, result } = await cardRead([]);
    expect(code).toBe(0);
    expect(result).toMatchObject({
      genuine: true,
      terminalAuthentication: { status: 'not-run', reason: 'no-trust-point' },
      fingerprints: {
        status: 'unavailable',
        reason: 'no-trust-point',
        message: { en: expect.stringMatching(/compare the face/) },
      },
      dataGroupsRead: [1, 2, 13, 14, 15],
      notRead: [{ dataGroup: 3, why: 'eac-protected' }],
    });
  });
});
