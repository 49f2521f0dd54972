/**
 * `station card read`, `card readers` and `sim card` through the real PC/SC stack: pcsclite -> pcscd
 * -> vsmartcard's vpcd, SECOND slot ("Virtual PCD 00 01", TCP 35964) -> VpcdLink -> the simulated
 * CCCD of every scenario. pcsc-vpcd.test.ts uses the first slot, so vitest may run both files at
 * once. `npm run setup:test` (scripts/setup-system.sh --test) installs pcscd, vsmartcard-vpcd and
 * opensc and starts pcscd; without them these tests fail saying so.
 *
 * Each APDU takes about 44 ms through vpcd and a card change shows within one 400 ms poll, so a
 * whole read is about a second; the cards go in and out in-process (VpcdLink), except in the last
 * test, where `station sim card` runs as a child process.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import { NativePcsc } from '../../drivers/smartcard/native-pcsc.ts';
import { type CardScenario, CccdCardSimulator } from '../../simulators/card/cccd-card-sim.ts';
import { VpcdLink } from '../../simulators/card/vpcd-link.ts';
import { writeTrustStoreFolder } from '../../simulators/pki/csca.ts';
import type { SimCardInfo } from '../../station/cli/commands/card.ts';
import { main } from '../../station/cli/main.ts';
import { recordingIo } from '../support/cli.ts';
import { assertPcscReady, lockVpcdSlot } from '../support/pcsc.ts';
import { tempDir } from '../support/station.ts';

const run = promisify(execFile);
const READER = 'Virtual PCD 00 01';
const VPCD_PORT = 35964;
const AID = 'A0000002471001';
const ROOT = new URL('../../', import.meta.url).pathname;

const tmp = tempDir('card-vpcd-');
let sim: CccdCardSimulator;
let trustDir: string;
/** Watches the reader, to know when pcscd has seen a card leave. */
let watcher: CardReaderDevice;
const links: VpcdLink[] = [];
const children: ChildProcess[] = [];

/** Puts a fresh simulated CCCD in `scenario` into the reader. */
async function insert(scenario: CardScenario): Promise<VpcdLink> {
  sim.setScenario(scenario);
  const link = new VpcdLink({ ...sim.card(), port: VPCD_PORT });
  links.push(link);
  await link.insert();
  return link;
}

/** `station card read` in-process with the numbers printed on the card. */
async function cardRead(extra: readonly string[] = [], access = sim.access()) {
  const io = recordingIo(tmp.dir);
  const code = await main(
    [
      'card',
      'read',
      '--reader',
      READER,
      '--id',
      access.id12,
      '--dob',
      access.dateOfBirth,
      '--expiry',
      access.dateOfExpiry,
      ...extra,
    ],
    io,
  );
  // pcscd sees a new card at its next poll, so the command may say it waits for one first.
  const waited = io.err.replace(/^waiting up to \d+ ms for a card in Virtual PCD 00 01…\n/, '');
  // A read card ends with its one-line verdict.
  const verdict = /^verdict: (.*)\n$/m.exec(waited)?.[1];
  const err = waited.replace(/^verdict: .*\n$/m, '');
  return { code, io, err, verdict, result: code === 0 ? JSON.parse(io.out) : undefined };
}

async function readerEmpty(timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (watcher.readers().find((r) => r.name === READER)?.status !== 'empty') {
    if (performance.now() > deadline) throw new Error(`${READER} still shows a card after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let releaseSlot: (() => void) | undefined;

beforeAll(async () => {
  assertPcscReady(VPCD_PORT, 'The card CLI integration test');
  releaseSlot = await lockVpcdSlot(VPCD_PORT);
  sim = await CccdCardSimulator.create();
  trustDir = path.join(tmp.dir, 'trust');
  await writeTrustStoreFolder(trustDir, [sim.cscaCertificate]);
  watcher = new CardReaderDevice({
    id: 'watch',
    mode: 'hardware',
    openPort: () => NativePcsc.open(),
    reader: READER,
  });
  await watcher.open();
  // A card left over by another process would confuse every test below.
  expect(watcher.readers()).toEqual([{ name: READER, status: 'empty' }]);
}, 150_000);

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  while (links.length > 0) await links.pop()?.remove();
  if (watcher) await readerEmpty();
});

afterAll(async () => {
  await watcher?.close();
  tmp.remove();
  releaseSlot?.();
});

describe('station card through pcscd and vpcd', () => {
  it('reads a valid CCCD with PACE-CAN: PA valid, CA and AA passed, holder and DG13, portrait, APDU count', async () => {
    const link = await insert('valid');
    const { code, err, verdict, result } = await cardRead(['--trust', trustDir, '--out-photo', 'face.jpg']);
    expect(err).toBe('');
    expect(verdict).toBe('USABLE: the chip and its data are genuine; valid until 2039-01-01');
    expect(code).toBe(0);
    expect(result).toMatchObject({
      reader: READER,
      genuine: true,
      valid: true,
      usable: true,
      validity: { kind: 'in-date', dateOfExpiry: '2039-01-01', from: 'dg1' },
      accessKeyMismatches: [],
      accessMethod: 'PACE-CAN',
      accessAttempts: [{ method: 'PACE-CAN', outcome: 'opened' }],
      accessKeyMatchesChip: true,
      chip: {
        verdict: 'genuine-chip',
        chipAuthentication: { status: 'passed' },
        activeAuthentication: { status: 'passed' },
        keysTrusted: { dg14: true, dg15: true },
      },
      dg13: { idNumber: sim.access().id12, fullName: 'Nguyễn Văn An', motherName: 'Trần Thị Cúc' },
      personalId: { ok: true },
      holder: { id12: sim.access().id12, documentNumber: sim.access().id12.slice(3), checkDigitsOk: true },
      passiveAuthentication: { verdict: 'valid', trustStore: { dir: trustDir, certificates: 1 } },
      dataGroupsRead: [1, 2, 13, 14, 15],
      extendedLength: true,
      portrait: { format: 'jpeg', file: path.join(tmp.dir, 'face.jpg') },
    });
    // Every APDU the chip saw is counted (pcscd sends none of its own to a vpcd card).
    expect(result.apdus).toBe(link.card.apduCount);
    const photo = readFileSync(path.join(tmp.dir, 'face.jpg'));
    expect(photo.length).toBe(result.portrait.bytes);
    expect([...photo.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);

    // The same card again with short APDUs only: more of them, same verdict.
    const short = await cardRead(['--trust', trustDir, '--short-apdus']);
    expect(short.code).toBe(0);
    expect(short.result).toMatchObject({
      extendedLength: false,
      passiveAuthentication: { verdict: 'valid' },
    });
    expect(short.result.apdus).toBeGreaterThan(result.apdus);
  });

  it.each([
    // The CAN guess is wrong on this chip: PACE-CAN is refused (6300), PACE-MRZ opens it.
    [
      'other-can',
      [],
      'PACE-MRZ',
      [
        ['PACE-CAN', 'access-denied', 0x6300],
        ['PACE-MRZ', 'opened'],
      ],
    ],
    // An older chip without EF.CardAccess: straight to BAC.
    [
      'bac-only',
      [],
      'BAC',
      [
        ['PACE-CAN', 'not-offered'],
        ['PACE-MRZ', 'not-offered'],
        ['BAC', 'opened'],
      ],
    ],
    // MSE:Set AT refused with 6982, as reported for CCCD chips: BAC after both PACE attempts.
    [
      'pace-refused',
      [],
      'BAC',
      [
        ['PACE-CAN', 'refused', 0x6982],
        ['PACE-MRZ', 'refused', 0x6982],
        ['BAC', 'opened'],
      ],
    ],
    // A PACE-only chip with a CAN the officer typed wrong: PACE-MRZ, never BAC.
    [
      'pace-only',
      ['--can', '123456'],
      'PACE-MRZ',
      [
        ['PACE-CAN', 'access-denied', 0x6300],
        ['PACE-MRZ', 'opened'],
      ],
    ],
    // SELECT MF is refused (6D00): EF.CardAccess is selected directly, PACE-CAN opens it.
    ['select-mf-refused', [], 'PACE-CAN', [['PACE-CAN', 'opened']]],
  ] as const)(
    '%s %j: opened with %s after the attempts %j; PA valid, genuine chip',
    async (scenario, extra, method, attempts) => {
      await insert(scenario);
      const { code, err, result } = await cardRead(['--trust', trustDir, ...extra]);
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(result).toMatchObject({
        genuine: true,
        accessMethod: method,
        passiveAuthentication: { verdict: 'valid' },
        chip: { verdict: 'genuine-chip' },
      });
      expect(
        result.accessAttempts.map((a: { method: string; outcome: string; statusWord?: number }) =>
          a.statusWord === undefined ? [a.method, a.outcome] : [a.method, a.outcome, a.statusWord],
        ),
      ).toEqual(attempts);
    },
  );

  it('cloned-chip: PA valid (the data is the issuer’s), but CA and AA fail: clone suspected, not genuine', async () => {
    await insert('cloned-chip');
    const { code, err, result } = await cardRead(['--trust', trustDir]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(result).toMatchObject({
      genuine: false,
      passiveAuthentication: { verdict: 'valid' },
      chip: {
        verdict: 'clone-suspected',
        by: ['chip-authentication', 'active-authentication'],
        chipAuthentication: { status: 'failed' },
        activeAuthentication: { status: 'failed' },
        message: { vi: expect.stringMatching(/sao chép/) },
      },
      // After the failed CA the chip is opened again and every group still read.
      dataGroupsRead: [1, 2, 13, 14, 15],
    });
  });

  it('aa-rsa: Active Authentication with RSA-2048 (ISO 9796-2) passes', async () => {
    await insert('aa-rsa');
    const { code, result } = await cardRead(['--trust', trustDir]);
    expect(code).toBe(0);
    expect(result.chip).toMatchObject({
      verdict: 'genuine-chip',
      activeAuthentication: { status: 'passed' },
    });
  });

  it('dg13-missing-fields: DG13 decodes what is there; absent fields are absent, not errors', async () => {
    await insert('dg13-missing-fields');
    const { code, result } = await cardRead(['--trust', trustDir]);
    expect(code).toBe(0);
    expect(result.dg13).toMatchObject({
      fullName: 'Nguyễn Văn An',
      fatherName: 'Nguyễn Văn Bình',
      issues: [],
    });
    for (const absent of ['religion', 'identifyingMarks', 'spouseName', 'motherName'])
      expect(result.dg13).not.toHaveProperty(absent);
  });

  it('--qr: the ID and birth date from the QR text, the expiry derived by the renewal ages', async () => {
    await insert('valid');
    const access = sim.access();
    const io = recordingIo(tmp.dir);
    // Born 1999-01-01, issued 2024-01-01 (at 25): valid until the 40th birthday, 2039-01-01.
    const qr = `${access.id12}|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024`;
    const code = await main(['card', 'read', '--reader', READER, '--qr', qr, '--trust', trustDir], io);
    expect(code).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({
      accessKey: 'qr',
      genuine: true,
      qr: { errors: [], expiryFrom: 'derived', expiry: { kind: 'date', date: '2039-01-01' } },
      accessKeyMatchesChip: true,
    });
  });

  it('card readers shows the card and its ATR', async () => {
    const link = await insert('valid');
    // The card is in once pcscd's next poll sees it.
    await watcher.waitForCard({ reader: READER, timeoutMs: 5000 });
    const io = recordingIo();
    expect(await main(['card', 'readers'], io)).toBe(0);
    const { readers } = JSON.parse(io.out) as { readers: { name: string }[] };
    expect(readers.find((r) => r.name === READER)).toEqual({
      name: READER,
      card: 'present',
      atr: Buffer.from(link.card.atr).toString('hex').toUpperCase(),
      protocols: ['T=0', 'T=1'],
      extendedLength: true,
    });
  });

  it('card readers and card read exit 1 naming pcscd when it is not running (a socket where none listens)', async () => {
    for (const args of [
      ['card', 'readers'],
      ['card', 'read', '--reader', READER, '--id', '001099012345', '--dob', '990101', '--expiry', '390101'],
    ]) {
      const outcome = await run(process.execPath, ['station/cli/bin.mjs', ...args], {
        cwd: ROOT,
        env: { ...process.env, PCSCLITE_CSOCK_NAME: '/nonexistent/pcscd.comm' },
        timeout: 15_000,
      }).then(
        () => ({ code: 0, stderr: '', stdout: '' }),
        (error: { code: number; stderr: string; stdout: string }) => error,
      );
      expect(outcome.code).toBe(1);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr).toMatch(/^DEVICE_UNAVAILABLE: pcscd is not running .*start it/);
    }
  });

  it.each([
    // DG14 and DG15 still match a SOD that chains to the CSCA: the chip itself is proven.
    ['tampered-dg', 'data-group-altered', { dataGroups: [2] }, 'genuine-chip'],
    // Keys from a SOD nobody vouches for prove nothing about the chip.
    ['unknown-csca', 'unknown-issuer', { problem: 'no-matching-csca' }, 'not-proven'],
    ['expired-ds', 'certificate-expired', {}, 'genuine-chip'],
    ['bad-signature', 'signature-invalid', {}, 'not-proven'],
  ] as const)(
    '%s: read OK, PA verdict %s, not genuine; chip verdict %4$s',
    async (scenario, verdict, detail, chip) => {
      await insert(scenario);
      const { code, err, result } = await cardRead(['--trust', trustDir]);
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(result).toMatchObject({
        genuine: false,
        passiveAuthentication: { verdict, detail },
        chip: { verdict: chip },
      });
      expect(result.passiveAuthentication.message.vi).not.toBe('');
    },
  );

  it.each([
    ['wrong-access-key', /^CARD_ACCESS_DENIED: .*\ncheck the numbers on the card/],
    ['bad-mac', /^CARD_SM_MAC_MISMATCH: .*\na protected answer from the chip failed its check/],
  ] as const)('%s: exit 1 with the typed error on stderr', async (scenario, message) => {
    await insert(scenario);
    const { code, io, err } = await cardRead(['--trust', trustDir]);
    expect(err).toMatch(message);
    expect(code).toBe(1);
    expect(io.out).toBe('');
  });

  it('a card pulled mid-read is CARD_REMOVED; put back (same scenario: it pulls once) it reads', async () => {
    const pulled = await insert('card-pulled-mid-read');
    const { code, err } = await cardRead(['--trust', trustDir]);
    expect(err).toMatch(
      /^CARD_REMOVED: .*\nthe card was removed during the read; put it back and hold it still\n$/,
    );
    expect(code).toBe(1);
    expect(pulled.state()).toBe('removed');
    await readerEmpty();

    // The officer puts the same card back: the scenario stays, the pull does not happen again.
    const back = new VpcdLink({ ...sim.card(), port: VPCD_PORT });
    links.push(back);
    await back.insert();
    expect(sim.scenario()).toBe('card-pulled-mid-read');
    const again = await cardRead(['--trust', trustDir]);
    expect(again.code).toBe(0);
    expect(again.result.passiveAuthentication.verdict).toBe('valid');
  });

  it('a slow card (150 ms per APDU) still reads', async () => {
    await insert('slow-card');
    const { code, result } = await cardRead(['--trust', trustDir]);
    expect(code).toBe(0);
    expect(result.passiveAuthentication.verdict).toBe('valid');
    expect(result.timings.totalMs).toBeGreaterThan(result.apdus * 150);
  }, 30_000);

  it('opensc-tool sends SELECT of the eMRTD application to the simulated CCCD and gets 9000', async () => {
    await insert('valid');
    await watcher.waitForCard({ reader: READER, timeoutMs: 5000 });
    const list = await run('opensc-tool', ['-l'], { timeout: 15_000 });
    const index = new RegExp(`^(\\d+)\\s+Yes\\s+.*${READER}$`, 'm').exec(list.stdout)?.[1];
    expect(index, list.stdout).toBeDefined();
    const { stdout } = await run('opensc-tool', ['-r', String(index), '-s', `00A4040C07${AID}`], {
      timeout: 15_000,
    });
    expect(stdout).toContain('Sending: 00 A4 04 0C 07 A0 00 00 02 47 10 01');
    expect(stdout).toContain('Received (SW1=0x90, SW2=0x00)');
  });

  it('station sim card as a child process: its JSON line opens the card, SIGTERM removes it and exits 0', async () => {
    const exported = path.join(tmp.dir, 'child-trust');
    const child = spawn(
      process.execPath,
      ['station/cli/bin.mjs', 'sim', 'card', '--port', String(VPCD_PORT), '--export-trust', exported],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout ?? process.stdin });
      lines.once('line', resolve);
      void exited.then((code) => reject(new Error(`sim card exited (${code}) before its line: ${stderr}`)));
    });
    const info = JSON.parse(line) as SimCardInfo;
    expect(info).toMatchObject({
      port: VPCD_PORT,
      readerName: READER,
      scenario: 'valid',
      trustStore: exported,
      id12: expect.stringMatching(/^\d{12}$/),
    });

    const { code, result } = await cardRead(['--trust', exported], info);
    expect(code).toBe(0);
    expect(result).toMatchObject({ genuine: true, holder: { id12: info.id12 } });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/the card was removed; simulator stopped/);
    await readerEmpty();
  });
});
