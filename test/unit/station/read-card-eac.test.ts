/**
 * The notary's card check with EAC (station/cards/read-card.ts, terminal-credentials.ts) over the
 * in-process PC/SC with the simulated CCCD: Terminal Authentication after PACE and CA, DG3's two
 * WSQ fingers read, decoded and checked by PA, with extended and short APDUs and after BAC; each
 * TA scenario's outcome with the rest of the read intact; credentials loaded from the folder the
 * simulator exports, and the key and certificate problems a technician meets.
 */
import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardReaderDevice } from '../../../drivers/smartcard/card-reader.ts';
import type { AccessMethodName } from '../../../protocol/icao9303/read-document.ts';
import type { TerminalCredentials } from '../../../protocol/icao9303/terminal-auth.ts';
import { psnr } from '../../../protocol/wsq/index.ts';
import { type CardScenario, CccdCardSimulator } from '../../../simulators/card/cccd-card-sim.ts';
import { InProcessPcsc } from '../../../simulators/card/in-process-pcsc.ts';
import { CHIP_FINGER_IMPRESSION } from '../../../simulators/card/lds-builder.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';
import { createEacKey } from '../../../simulators/pki/cvca.ts';
import { readCard } from '../../../station/cards/read-card.ts';
import {
  loadTerminalCredentials,
  TerminalCredentialsError,
} from '../../../station/cards/terminal-credentials.ts';
import { createCardCommand } from '../../../station/cli/commands/card.ts';
import { recordingIo } from '../../support/cli.ts';
import { tempDir } from '../../support/station.ts';

const TODAY = '2026-11-22';
const NOW = Date.parse(`${TODAY}T09:00:00Z`);
const tmp = tempDir('read-card-eac-');
let sim: CccdCardSimulator;

beforeAll(async () => {
  sim = await CccdCardSimulator.create({ today: TODAY });
});
afterAll(() => tmp.remove());
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function read(
  scenario: CardScenario,
  options: {
    readonly terminal?: TerminalCredentials | 'none';
    readonly shortApdus?: boolean;
    readonly methods?: readonly AccessMethodName[];
  } = {},
) {
  sim.setScenario(scenario);
  const pcsc = new InProcessPcsc();
  pcsc.insert(sim.card());
  const device = new CardReaderDevice({ id: 'eac', mode: 'simulated', openPort: async () => pcsc.client() });
  cleanups.push(() => device.close());
  await device.open();
  const found = await device.waitForCard({ timeoutMs: 2000 });
  const session = await device.connect(found.name);
  cleanups.push(() => session.close());
  const access = sim.access();
  const terminal = options.terminal === undefined ? sim.terminalCredentials() : options.terminal;
  return readCard(session, {
    mrzInformation: access.mrzInformation,
    key: { id12: access.id12, dateOfBirth: access.dateOfBirth, dateOfExpiry: access.dateOfExpiry },
    can: access.can,
    trustStore: { cscaCertificates: [sim.cscaCertificate] },
    now: () => NOW,
    ...(terminal === 'none' ? {} : { terminal }),
    ...(options.shortApdus ? { shortApdusOnly: true } : {}),
    ...(options.methods ? { methods: options.methods } : {}),
  });
}

describe('reading the fingerprints of a valid CCCD', () => {
  it('PACE-CAN, CA, TA: both index fingers read, decoded, and vouched for by PA', async () => {
    const { check, report } = await read('valid');
    expect(check).toMatchObject({
      accessMethod: 'PACE-CAN',
      genuine: true,
      chip: { chipAuthentication: { status: 'passed' } },
      terminalAuthentication: {
        status: 'passed',
        terminal: 'VNNOTARY00001',
        trustPoint: 'VNCVCA00001',
        chain: ['VNDVCCCD00001', 'VNNOTARY00001'],
        rights: { dg3: true, dg4: true },
      },
      fingerprints: {
        status: 'read',
        verified: true,
        fingers: [
          { position: 2, width: 500, height: 500, ppi: 500, compression: 'wsq', decoded: true },
          { position: 7, width: 500, height: 500, ppi: 500, compression: 'wsq', decoded: true },
        ],
      },
      dataGroupsRead: [1, 2, 3, 13, 14, 15],
      notRead: [],
    });
    expect(check.fingerprints.message.en).toMatch(/fingerprints were read/);
    expect(check.passiveAuthentication.dataGroups).toContainEqual({ dataGroup: 3, status: 'match' });
    // The chip's fingers are the generator's for the holder's seed, through WSQ.
    for (const finger of report.dg3.status === 'read' ? report.dg3.fingers : []) {
      const { image } = renderFinger({
        personSeed: sim.fingerprintSeed,
        finger: finger.position,
        impression: CHIP_FINGER_IMPRESSION,
        width: 500,
        height: 500,
      });
      expect(psnr(image.pixels, finger.pixels ?? new Uint8Array(0))).toBeGreaterThan(25);
    }
    expect(report.eacApdus.terminalAuthentication).toBe(9); // SELECT + READ EF.CVCA, then 7 TA commands
    expect(report.eacApdus.dg3).toBe(2); // SELECT, one extended READ BINARY
    expect(report.timings.terminalAuthenticationMs).toBeGreaterThanOrEqual(0);
  });

  it('with short APDUs the same fingers arrive in many more READ BINARYs', async () => {
    const { check, report } = await read('valid', { shortApdus: true });
    expect(check.extendedLength).toBe(false);
    expect(check.fingerprints).toMatchObject({ status: 'read', verified: true });
    const dg3Bytes = report.dataGroups.get(3)?.length ?? 0;
    expect(dg3Bytes).toBeGreaterThan(20_000);
    expect(report.eacApdus.dg3).toBeGreaterThan(dg3Bytes / 239);
  });

  it('after BAC, ID_PICC is the document number: TA passes too', async () => {
    const { check } = await read('valid', { methods: ['BAC'] });
    expect(check.accessMethod).toBe('BAC');
    expect(check.terminalAuthentication).toMatchObject({ status: 'passed' });
    expect(check.fingerprints.status).toBe('read');
  });
});

describe('each TA scenario: DG3 unavailable and why, the rest of the read intact', () => {
  it.each([
    ['valid', 'none', 'no-credentials', 'not-run'],
    ['ta-expired-terminal', undefined, 'credentials-expired', 'not-run'],
    ['ta-wrong-cvca', undefined, 'no-trust-point', 'not-run'],
    ['ta-no-dg3-right', undefined, 'no-dg3-right', 'passed'],
    ['dg3-missing', undefined, 'not-on-chip', 'not-run'],
    ['cloned-chip', undefined, 'no-chip-authentication', 'not-run'],
  ] as const)('%s (credentials: %s): %s', async (scenario, terminal, reason, taStatus) => {
    const { check } = await read(scenario, terminal === 'none' ? { terminal } : {});
    expect(check.fingerprints).toMatchObject({ status: 'unavailable', reason, verified: false, fingers: [] });
    expect(check.fingerprints.message.vi).not.toBe('');
    expect(check.terminalAuthentication.status).toBe(taStatus);
    expect(check.passiveAuthentication.verdict).toBe('valid');
    expect(check.dataGroupsRead).toEqual(expect.arrayContaining([1, 2, 13, 14, 15]));
    expect(check.dataGroupsRead).not.toContain(3);
    expect(check.notRead.some((n) => n.dataGroup === 3)).toBe(scenario !== 'dg3-missing');
    if (scenario !== 'cloned-chip') expect(check.genuine).toBe(true);
  });

  it('ta-expired-terminal names the certificate to renew and falls back to the face or the central service', async () => {
    const { check } = await read('ta-expired-terminal');
    expect(check.fingerprints).toMatchObject({ certificate: 'VNNOTARY00000' });
    expect(check.fingerprints.message.en).toMatch(/renew it through the Document Verifier/);
    expect(check.fingerprints.message.en).toMatch(/compare the face .* central service/);
    expect(check.fingerprints.message.vi).toMatch(/gia hạn qua Document Verifier/);
  });

  it('ta-no-dg3-right: TA passed with DG4 only', async () => {
    const { check } = await read('ta-no-dg3-right');
    expect(check.terminalAuthentication).toMatchObject({
      status: 'passed',
      rights: { dg3: false, dg4: true },
    });
  });
});

describe('credentials from the exported folder', () => {
  it('the folder station sim card exports reads the fingerprints (brainpool key in a file)', async () => {
    sim.setScenario('valid');
    const dir = await sim.exportTrust(path.join(tmp.dir, 'export'));
    const loaded = await loadTerminalCredentials(dir);
    cleanups.push(() => loaded.close());
    expect(loaded.certificates.map((c) => [c.chr, c.role]).sort()).toEqual([
      ['VNCVCA00001', 'cvca'],
      ['VNCVCA00002', 'cvca'],
      ['VNDVCCCD00001', 'dv-domestic'],
      ['VNNOTARY00001', 'terminal'],
    ]);
    const { check } = await read('valid', { terminal: loaded.credentials });
    expect(check.fingerprints).toMatchObject({ status: 'read', verified: true });
  });

  it('a key file others can read is refused with the chmod to run', async () => {
    const dir = await sim.exportTrust(path.join(tmp.dir, 'open-key'));
    chmodSync(path.join(dir, 'terminal.key'), 0o644);
    await expect(loadTerminalCredentials(dir)).rejects.toMatchObject({
      code: 'KEY_FILE_PERMISSIONS',
      message: expect.stringMatching(/chmod 600/),
    });
  });

  it('a key that is not the terminal certificate’s: EAC_KEY_MISMATCH', async () => {
    const dir = await sim.exportTrust(path.join(tmp.dir, 'other-key'));
    const other = path.join(dir, 'other.key');
    writeFileSync(
      other,
      createEacKey('brainpoolP256r1').privateKey.export({ format: 'pem', type: 'pkcs8' }),
      {
        mode: 0o600,
      },
    );
    await expect(loadTerminalCredentials(dir, { keyLocation: other })).rejects.toMatchObject({
      code: 'EAC_KEY_MISMATCH',
    });
  });

  it('a file that is not a CV certificate, and a folder without a terminal certificate', async () => {
    const dir = await sim.exportTrust(path.join(tmp.dir, 'bad-cert'));
    writeFileSync(path.join(dir, 'junk.cvcert'), 'not a certificate');
    const error = await loadTerminalCredentials(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalCredentialsError);
    expect(error).toMatchObject({ code: 'EAC_CERTIFICATE_INVALID', file: path.join(dir, 'junk.cvcert') });
    const noTerminal = await sim.exportTrust(path.join(tmp.dir, 'no-terminal'));
    unlinkSync(path.join(noTerminal, 'terminal.cvcert'));
    await expect(loadTerminalCredentials(noTerminal)).rejects.toMatchObject({
      code: 'EAC_NO_TERMINAL_CERTIFICATE',
    });
    await expect(loadTerminalCredentials(path.join(tmp.dir, 'missing'))).rejects.toMatchObject({
      code: 'EAC_FOLDER_UNREADABLE',
    });
  });
});

describe('station card read --terminal', () => {
  async function cli(args: readonly string[]) {
    sim.setScenario('valid');
    const pcsc = new InProcessPcsc();
    pcsc.insert(sim.card());
    const command = createCardCommand({ openPort: async () => pcsc.client(), now: () => NOW });
    const read = command.subcommands?.find((c) => c.name === 'read');
    const io = recordingIo(tmp.dir);
    const a = sim.access();
    const code = await read?.run?.(
      ['--reader', 'Simulated', '--id', a.id12, '--dob', a.dateOfBirth, '--expiry', a.dateOfExpiry, ...args],
      io,
    );
    return { code, io };
  }

  it('prints the fingerprints, TA, its time and APDUs', async () => {
    const trust = path.join(tmp.dir, 'cli-trust');
    const eacDir = await sim.exportTrust(trust);
    const { code, io } = await cli(['--trust', trust, '--terminal', eacDir]);
    expect(io.err).toMatch(/^verdict: USABLE/m);
    expect(code).toBe(0);
    const result = JSON.parse(io.out);
    expect(result).toMatchObject({
      terminalAuthentication: { status: 'passed', rights: { dg3: true, dg4: true } },
      fingerprints: {
        status: 'read',
        verified: true,
        fingers: [{ position: 2 }, { position: 7 }],
        terminalCredentials: { dir: eacDir, key: path.join(eacDir, 'terminal.key') },
      },
      dataGroupsRead: [1, 2, 3, 13, 14, 15],
      eacApdus: { terminalAuthentication: 9, dg3: 2 },
    });
    expect(result.timings.terminalAuthenticationMs).toBeGreaterThan(0);
    expect(result.timings.files.DG3).toBeGreaterThan(0);
  });

  it('--terminal-key alone is a usage error; an unreadable folder fails with its code', async () => {
    await expect(cli(['--terminal-key', 'x.key'])).rejects.toThrow(/--terminal-key needs --terminal DIR/);
    const { code, io } = await cli(['--terminal', path.join(tmp.dir, 'nowhere')]);
    expect(code).toBe(1);
    expect(io.err).toMatch(/^EAC_FOLDER_UNREADABLE: --terminal: /);
  });
});
