/**
 * `station card readers|read` and `station sim card` without pcscd: usage errors through `main`,
 * the read over the in-process PC/SC simulator (the same driver and readCard as on pcscd), person
 * files, and `runSimCard` against a stand-in for vpcd on a loopback port. The real pcscd + vpcd path
 * is test/integration/card-vpcd.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceUnavailableError } from '../../../drivers/errors.ts';
import type { PcscPort } from '../../../drivers/smartcard/port.ts';
import { type CardScenario, CccdCardSimulator } from '../../../simulators/card/cccd-card-sim.ts';
import { InProcessPcsc } from '../../../simulators/card/in-process-pcsc.ts';
import { SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { encodeVpcdFrame, VpcdFrameReader } from '../../../simulators/card/vpcd-link.ts';
import { writeTrustStoreFolder } from '../../../simulators/pki/csca.ts';
import type { Command } from '../../../station/cli/command.ts';
import {
  createCardCommand,
  loadPersonFile,
  PersonFileError,
  photoPath,
  runSimCard,
  type SimCardInfo,
  validatePerson,
  vpcdReaderName,
} from '../../../station/cli/commands/card.ts';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';
import { tempDir } from '../../support/station.ts';

const READER = 'Simulated Reader 00 00';
/** The station's clock in these tests: 22 November 2026, 09:00 local time. */
const NOW = new Date(2026, 10, 22, 9, 0, 0).getTime();
const KEY = ['--id', '001099012345', '--dob', '990101', '--expiry', '390101'];

const tmp = tempDir('card-cli-');
let sim: CccdCardSimulator;
let trustDir: string;

beforeAll(async () => {
  sim = await CccdCardSimulator.create();
  trustDir = path.join(tmp.dir, 'trust');
  await writeTrustStoreFolder(trustDir, [sim.cscaCertificate]);
});
afterAll(() => tmp.remove());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** Waits until `condition` holds, polling every 10 ms, at most 15 s. */
/** Waits for `condition`, up to `ms` (a simulated card builds its keys slowly on a busy machine). */
async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  for (let i = 0; i < ms / 10 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

function sub(command: Command, name: string): Command {
  const found = command.subcommands?.find((c) => c.name === name);
  if (!found?.run) throw new Error(`no subcommand ${name}`);
  return found;
}

/** The `card` group on an in-process PC/SC with one reader, the simulated CCCD in `scenario` in it. */
function rig(scenario: CardScenario | 'none' = 'valid', openPort?: () => Promise<PcscPort>) {
  const pcsc = new InProcessPcsc();
  if (scenario !== 'none') {
    sim.setScenario(scenario);
    pcsc.insert(sim.card());
  }
  const command = createCardCommand({ openPort: openPort ?? (async () => pcsc.client()), now: () => NOW });
  const run = async (name: string, args: readonly string[]) => {
    const io = recordingIo(tmp.dir);
    const code = await sub(command, name).run?.(args, io);
    return { code, io };
  };
  return { pcsc, run };
}

describe('station card: command line', () => {
  it('is registered, with help for the group and each command', async () => {
    let io = recordingIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/\n {2}card\s+Chip-card readers/);
    io = recordingIo();
    expect(await main(['card', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/readers\s+List the PC\/SC readers/);
    expect(io.out).toMatch(/read\s+Read and check the chip/);
    io = recordingIo();
    expect(await main(['card', 'read', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: station card read --reader NAME/);
    io = recordingIo();
    expect(await main(['sim', 'card', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: station sim card \[--scenario NAME\]/);
    expect(io.out).toMatch(/wrong-access-key/);
    expect(io.out).toMatch(/expired-card/);
    expect(io.out).toMatch(/PACE and BAC, .*Chip and Active\s+Authentication/s);
    expect(io.out).toMatch(/card-pulled-mid-read pulls only\s+once/);
  });

  it.each([
    [['--id', '001099012345', '--dob', '990101', '--expiry', '390101'], /--reader is required/],
    [['--reader', 'X'], /the card key is required: --id ID12 --dob YYMMDD --expiry YYMMDD/],
    [['--reader', 'X', '--id', '001099012345', '--dob', '990101'], /--expiry is required with --id/],
    [['--reader', 'X', '--dob', '990101', '--expiry', '390101'], /--id is required/],
    [['--reader', 'X', '--mrz-info', 'A,990101,390101', '--id', '001099012345'], /either --mrz-info or --id/],
    [
      ['--reader', 'X', '--id', '00109901234', '--dob', '990101', '--expiry', '390101'],
      /--id '00109901234' is not valid: .*12 digits/,
    ],
    [
      ['--reader', 'X', '--id', '00109901234A', '--dob', '990101', '--expiry', '390101'],
      /--id '00109901234A' is not valid: .*invalid-character at character 12/,
    ],
    [
      ['--reader', 'X', '--id', '001099012345', '--dob', '991301', '--expiry', '390101'],
      /--dob '991301' is not valid: .*invalid-date/,
    ],
    [
      ['--reader', 'X', '--id', '001099012345', '--dob', '990101', '--expiry', '3901'],
      /--expiry '3901' is not valid/,
    ],
    [['--reader', 'X', '--mrz-info', '099012345,990101'], /--mrz-info takes DOCUMENT-NUMBER,YYMMDD,YYMMDD/],
    [
      ['--reader', 'X', '--mrz-info', '099012345,990101,390231'],
      /--mrz-info \(date of expiry\) '390231' is not valid/,
    ],
    [['--reader', 'X', '--mrz-info', '0990-12345,990101,390101'], /--mrz-info \(document number\)/],
    [['--reader', 'X', ...KEY, '--timeout-ms', '0'], /--timeout-ms must be a positive integer/],
    [['--reader', 'X', ...KEY, '--pin', '1234'], /Unknown option '--pin'/],
  ])('card read %j is a usage error (exit 2) naming the option', async (args, message) => {
    const io = recordingIo();
    expect(await main(['card', 'read', ...args], io)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.err).toMatch(/Usage: station card read/);
    expect(io.out).toBe('');
  });

  it.each([
    [['--reader', 'X', ...KEY, '--terminal', 'eac'], /--finger FILE .* or capture it with --scanner/],
    [['--reader', 'X', ...KEY, '--terminal', 'eac', '--finger', 'f.png', '--scanner', 'any'], /not both/],
    [['--reader', 'X', ...KEY, '--terminal', 'eac', '--finger', 'f.png', '--url', 'x:1'], /give --scanner/],
    [['--reader', 'X', ...KEY, '--scanner', 'any'], /--terminal DIR is required/],
    [
      ['--reader', 'X', ...KEY, '--terminal', 'eac', '--scanner', 'any', '--finger-wait-ms', '0'],
      /positive integer/,
    ],
  ])('card verify-finger %j is a usage error (exit 2)', async (args, message) => {
    const io = recordingIo();
    expect(await main(['card', 'verify-finger', ...args], io)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.err).toMatch(/Usage: station card verify-finger/);
  });

  it.each([
    [['--scenario', 'tired-card'], /--scenario must be one of: valid, wrong-access-key, /],
    [['--port', '70000'], /--port must be a TCP port/],
    [['--port', 'x'], /--port must be a positive integer/],
  ])('sim card %j is a usage error', async (args, message) => {
    const io = recordingIo();
    expect(await main(['sim', 'card', ...args], io)).toBe(2);
    expect(io.err).toMatch(message);
  });
});

describe('station card read over the in-process PC/SC', () => {
  it('reads a valid card: holder, PA valid with the trust store, portrait written as .jpg', async () => {
    const { run } = rig('valid');
    const { code, io } = await run('read', [
      '--reader',
      'Simulated',
      ...KEY,
      '--trust',
      'trust',
      '--out-photo',
      'out/face',
    ]);
    expect(io.err).toBe(
      `the portrait is jpeg: written to ${path.join(tmp.dir, 'out/face.jpg')}\n` +
        'verdict: USABLE: the chip and its data are genuine; valid until 2039-01-01\n',
    );
    expect(code).toBe(0);
    const result = JSON.parse(io.out);
    expect(result).toMatchObject({
      reader: READER,
      genuine: true,
      valid: true,
      usable: true,
      validity: { kind: 'in-date', dateOfExpiry: '2039-01-01', today: '2026-11-22', from: 'dg1' },
      accessKeyMismatches: [],
      accessMethod: 'PACE-CAN',
      accessAttempts: [{ method: 'PACE-CAN', outcome: 'opened' }],
      accessKey: 'id12',
      chip: {
        verdict: 'genuine-chip',
        by: ['chip-authentication', 'active-authentication'],
        chipAuthentication: { status: 'passed' },
        activeAuthentication: { status: 'passed' },
      },
      dg13: { idNumber: '001099012345', fullName: 'Nguyễn Văn An', spouseName: 'Lê Thị Hương' },
      personalId: { ok: true, province: { code: '001' } },
      holder: { id12: '001099012345', surname: 'NGUYEN', givenNames: 'VAN AN', dateOfBirth: '990101' },
      passiveAuthentication: {
        verdict: 'valid',
        trustStore: { dir: trustDir, certificates: 1 },
        message: { en: expect.stringMatching(/genuine/) },
      },
      dataGroupsRead: [1, 2, 13, 14, 15],
      // The simulated CCCD carries fingerprints (DG3); without --terminal they stay behind EAC.
      notRead: [{ dataGroup: 3, why: 'eac-protected' }],
      fingerprints: { status: 'unavailable', reason: 'no-credentials', terminalCredentials: null },
      extendedLength: true,
      portrait: {
        format: 'jpeg',
        width: 240,
        height: 320,
        verified: true,
        file: path.join(tmp.dir, 'out/face.jpg'),
      },
    });
    expect(result.passiveAuthentication.note).toBeUndefined();
    expect(result.apdus).toBeGreaterThan(10);
    expect(result.timings.totalMs).toBeGreaterThan(0);
    const photo = readFileSync(path.join(tmp.dir, 'out/face.jpg'));
    expect(photo.length).toBe(result.portrait.bytes);
    expect([...photo.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });

  it('without --trust: PA not-checked, genuine false, and says why', async () => {
    const { run } = rig('valid');
    const { code, io } = await run('read', [
      '--reader',
      READER,
      '--mrz-info',
      '099012345,990101,390101',
      '--short-apdus',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(io.out);
    expect(result).toMatchObject({
      genuine: false,
      accessKey: 'mrz-info',
      extendedLength: false,
      passiveAuthentication: {
        verdict: 'not-checked',
        detail: { reason: 'no-trust-store' },
        trustStore: null,
      },
    });
    expect(result.passiveAuthentication.note).toMatch(/no --trust folder/);
  });

  it.each([
    ['tampered-dg', 'data-group-altered'],
    ['unknown-csca', 'unknown-issuer'],
  ] as const)('%s: read OK (exit 0) with verdict %s and genuine false', async (scenario, verdict) => {
    const { run } = rig(scenario);
    const { code, io } = await run('read', ['--reader', READER, ...KEY, '--trust', trustDir]);
    expect(code).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ genuine: false, passiveAuthentication: { verdict } });
  });

  it('an expired card: read (exit 0), valid false with its own verdict; --strict exits 1 with the JSON still printed', async () => {
    const { run } = rig('expired-card');
    const key = ['--id', '001099012345', '--dob', '990101', '--expiry', '240101', '--trust', trustDir];
    let { code, io } = await run('read', ['--reader', READER, ...key]);
    expect(code).toBe(0);
    expect(io.err).toBe('verdict: NOT USABLE: the chip and its data are genuine; EXPIRED after 2024-01-01\n');
    expect(JSON.parse(io.out)).toMatchObject({
      genuine: true,
      valid: false,
      usable: false,
      validity: { kind: 'expired', valid: false, dateOfExpiry: '2024-01-01', today: '2026-11-22' },
      summary: { vi: expect.stringMatching(/^KHÔNG DÙNG ĐƯỢC: .*ĐÃ HẾT HẠN sau ngày 01\/01\/2024/) },
    });
    ({ code, io } = await run('read', ['--reader', READER, ...key, '--strict']));
    expect(code).toBe(1);
    expect(JSON.parse(io.out).usable).toBe(false);
  });

  it('--strict: exit 1 when the card is not genuine (tampered data, or no trust store), 0 when usable', async () => {
    expect(
      (await rig('tampered-dg').run('read', ['--reader', READER, ...KEY, '--trust', trustDir, '--strict']))
        .code,
    ).toBe(1);
    expect((await rig('valid').run('read', ['--reader', READER, ...KEY, '--strict'])).code).toBe(1);
    expect(
      (await rig('valid').run('read', ['--reader', READER, ...KEY, '--trust', trustDir, '--strict'])).code,
    ).toBe(0);
  });

  it('numbers typed that differ from the chip (opened by PACE-CAN) are named, typed vs chip, in JSON and on stderr', async () => {
    const { run } = rig('valid');
    const typo = ['--id', '001099012345', '--dob', '990102', '--expiry', '390101', '--trust', trustDir];
    const { code, io } = await run('read', ['--reader', READER, ...typo]);
    expect(code).toBe(0);
    expect(io.err).toBe(
      "verdict: USABLE: the chip and its data are genuine; valid until 2039-01-01; typed date of birth 990102 differs from the chip's 990101\n",
    );
    const result = JSON.parse(io.out);
    expect(result).toMatchObject({
      accessMethod: 'PACE-CAN',
      accessKeyMatchesChip: false,
      accessKeyMismatches: [{ field: 'dateOfBirth', typed: '990102', chip: '990101' }],
    });
    expect(result.accessKeyMismatches).toHaveLength(1);
    expect(result.accessKeyMismatches[0].message.en).toMatch(/date of birth typed \(990102\) differs/);
  });

  it('--out-photo refuses a portrait whose DG2 failed its hash (exit 1, nothing written) unless --allow-unverified-photo', async () => {
    const { run } = rig('tampered-dg');
    const file = path.join(tmp.dir, 'tampered/face.jpg');
    let { code, io } = await run('read', [
      '--reader',
      READER,
      ...KEY,
      '--trust',
      trustDir,
      '--out-photo',
      file,
    ]);
    expect(code).toBe(1);
    expect(io.err).toMatch(
      /^PORTRAIT_UNVERIFIED: the portrait's data group \(DG2\) failed its check \(mismatch\): nothing written/,
    );
    expect(existsSync(file)).toBe(false);
    expect(JSON.parse(io.out).portrait).toMatchObject({ verified: false, file: null });
    ({ code, io } = await run('read', [
      '--reader',
      READER,
      ...KEY,
      '--trust',
      trustDir,
      '--out-photo',
      file,
      '--allow-unverified-photo',
    ]));
    expect(code).toBe(0);
    expect(io.err).toMatch(/failed its check \(mismatch\); written anyway \(--allow-unverified-photo\)/);
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(io.out).portrait).toMatchObject({ verified: false, file });
  });

  it.each([
    ['wrong-access-key', /^CARD_ACCESS_DENIED: .*\ncheck the numbers on the card/],
    ['bad-mac', /^CARD_SM_MAC_MISMATCH: /],
    [
      'card-pulled-mid-read',
      /^CARD_REMOVED: .*\nthe card was removed during the read; put it back and hold it still/,
    ],
  ] as const)('%s: exit 1 with the error code and what to do on stderr', async (scenario, message) => {
    const { run } = rig(scenario);
    const { code, io } = await run('read', ['--reader', READER, ...KEY]);
    expect(io.err).toMatch(message);
    expect(code).toBe(1);
    expect(io.out).toBe('');
  });

  it('card-pulled-mid-read pulls once: the card put back (the retry the officer makes) reads', async () => {
    const { pcsc, run } = rig('card-pulled-mid-read');
    const pulled = await run('read', ['--reader', READER, ...KEY, '--trust', trustDir]);
    expect(pulled.code).toBe(1);
    expect(pulled.io.err).toMatch(/^CARD_REMOVED: /);
    await until(() => pcsc.cardIn() === undefined);
    pcsc.insert(sim.card());
    const again = await run('read', ['--reader', READER, ...KEY, '--trust', trustDir]);
    expect(again.io.err).toMatch(/verdict: USABLE/);
    expect(again.code).toBe(0);
    // Setting the scenario again arms another pull.
    sim.setScenario('card-pulled-mid-read');
    pcsc.remove();
    pcsc.insert(sim.card());
    expect((await run('read', ['--reader', READER, ...KEY])).code).toBe(1);
  });

  it('exit 1 naming the readers when none matches, and when no card comes in time', async () => {
    let { code, io } = await rig('valid').run('read', ['--reader', 'ACS', ...KEY]);
    expect(code).toBe(1);
    expect(io.err).toBe(`no reader whose name starts with 'ACS'; readers: '${READER}'\n`);
    ({ code, io } = await rig('none').run('read', ['--reader', READER, ...KEY, '--timeout-ms', '50']));
    expect(code).toBe(1);
    expect(io.err).toMatch(/no card in Simulated Reader 00 00 within 50 ms: put the card on the reader/);
  });

  it('waits for a card inserted after the command started', async () => {
    const { pcsc, run } = rig('none');
    sim.setScenario('valid');
    setTimeout(() => pcsc.insert(sim.card()), 50);
    const { code, io } = await run('read', ['--reader', READER, ...KEY]);
    expect(code).toBe(0);
    expect(io.err).toMatch(/^waiting up to 10000 ms for a card in Simulated Reader 00 00/);
    expect(JSON.parse(io.out).timings.waitForCardMs).toBeGreaterThanOrEqual(40);
  });

  it('--trust: a missing folder or one without certificates is exit 1 before any card is touched', async () => {
    const { run } = rig('valid');
    let { code, io } = await run('read', ['--reader', READER, ...KEY, '--trust', 'nowhere']);
    expect(code).toBe(1);
    expect(io.err).toMatch(/--trust .*nowhere: cannot read the folder \(ENOENT\)/);
    ({ code, io } = await run('read', ['--reader', READER, ...KEY, '--trust', 'out']));
    expect(code).toBe(1);
    expect(io.err).toMatch(/no CSCA certificate in the folder/);
  });

  it('card readers lists each reader with its card and ATR; exit 1 naming pcscd when PC/SC is down', async () => {
    const { pcsc, run } = rig('valid');
    pcsc.addReader('Empty Reader 00 00');
    const { code, io } = await run('readers', []);
    expect(code).toBe(0);
    expect(JSON.parse(io.out)).toEqual({
      readers: [
        {
          name: READER,
          card: 'present',
          atr: Buffer.from(sim.card().atr).toString('hex').toUpperCase(),
          protocols: ['T=0', 'T=1'],
          extendedLength: true,
        },
        { name: 'Empty Reader 00 00', card: 'absent' },
      ],
    });
    const down = rig('none', async () => {
      throw new DeviceUnavailableError('pcscd is not running (SCardEstablishContext: 0x8010001D): start it');
    });
    for (const [name, args] of [
      ['readers', []],
      ['read', ['--reader', READER, ...KEY]],
    ] as const) {
      const failed = await down.run(name, args);
      expect(failed.code).toBe(1);
      expect(failed.io.err).toMatch(/^DEVICE_UNAVAILABLE: pcscd is not running/);
    }
  });

  it('photo files take the extension of the image format', () => {
    expect(photoPath('/a/face.jpg', 'jpeg')).toBe('/a/face.jpg');
    expect(photoPath('/a/face.JPEG', 'jpeg')).toBe('/a/face.JPEG');
    expect(photoPath('/a/face', 'jpeg')).toBe('/a/face.jpg');
    expect(photoPath('/a/face.jpg', 'jp2')).toBe('/a/face.jp2');
    expect(photoPath('/a.b/face', 'unknown')).toBe('/a.b/face.bin');
  });
});

describe('station sim card', () => {
  it('person records: the sample passes; every wrong field is named', () => {
    expect(validatePerson(SAMPLE_PERSON)).toEqual({ ok: true, value: SAMPLE_PERSON });
    const { dg13: _dg13, ...withoutDg13 } = SAMPLE_PERSON;
    expect(validatePerson(withoutDg13)).toEqual({ ok: true, value: { ...withoutDg13, dg13: [] } });
    const bad = validatePerson({
      id12: 1099012345,
      surname: '',
      givenNames: 'An',
      sex: 'X',
      dateOfBirth: '1999-02-30',
      dateOfExpiry: '2039-01-01',
      nationality: 'vn',
      dg13: [{ fieldNo: 0, value: 'x' }],
      address: 'Hà Nội',
    });
    expect(bad.ok).toBe(false);
    expect(bad.ok === false && bad.problems).toEqual([
      expect.stringMatching(/^address: unknown field; allowed: id12, surname/),
      'id12: must be the 12-digit citizen ID as a string (got 1099012345)',
      'surname: must be a non-empty string',
      'sex: must be "M" or "F" (got "X")',
      'dateOfBirth: must be a real date as YYYY-MM-DD (got "1999-02-30")',
      'nationality: must be a 3-letter ICAO code such as "VNM" (got "vn")',
      'dg13[0]: must be { "fieldNo": 1-255, "value": string or [strings] }',
    ]);
    expect(validatePerson([]).ok).toBe(false);
  });

  it('person files: unreadable, not JSON or invalid is a PersonFileError; sim card exits 1 saying so', async () => {
    const notJson = path.join(tmp.dir, 'not-json.json');
    writeFileSync(notJson, '{ id12: ');
    const invalid = path.join(tmp.dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...SAMPLE_PERSON, sex: 'male' }));
    const good = path.join(tmp.dir, 'good.json');
    writeFileSync(good, JSON.stringify({ ...SAMPLE_PERSON, id12: '079201000001' }));
    expect(loadPersonFile(good).id12).toBe('079201000001');
    expect(() => loadPersonFile(path.join(tmp.dir, 'missing.json'))).toThrow(/cannot read it \(ENOENT\)/);
    expect(() => loadPersonFile(notJson)).toThrow(PersonFileError);
    expect(() => loadPersonFile(notJson)).toThrow(/not JSON/);
    expect(() => loadPersonFile(invalid)).toThrow(/not a valid person record:\n {2}sex: must be "M" or "F"/);
    const io = recordingIo(tmp.dir);
    expect(await main(['sim', 'card', '--person', 'invalid.json'], io)).toBe(1);
    expect(io.err).toMatch(
      /invalid\.json: not a valid person record:\n {2}sex: must be "M" or "F" \(got "male"\)/,
    );
    expect(io.out).toBe('');
  });

  it('names the vpcd reader of each default slot', () => {
    expect(vpcdReaderName(35963)).toBe('Virtual PCD 00 00');
    expect(vpcdReaderName(35964)).toBe('Virtual PCD 00 01');
    expect(vpcdReaderName(35965)).toBeNull();
    expect(vpcdReaderName(8080)).toBeNull();
  });

  it('runSimCard: one ready line once vpcd takes the card, a fresh card after a pull, removed on abort', async () => {
    // A stand-in for vpcd: asks each connecting card for its ATR, as pcscd's vpcd driver does.
    const connections: Socket[] = [];
    const atrs: Uint8Array[] = [];
    const server: Server = createServer((socket) => {
      connections.push(socket);
      const reader = new VpcdFrameReader();
      socket.on('data', (chunk) => atrs.push(...reader.push(new Uint8Array(chunk)).frames));
      socket.on('error', () => undefined);
      socket.write(encodeVpcdFrame(Uint8Array.of(0x04)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const controller = new AbortController();
    cleanups.push(() => {
      controller.abort();
      for (const socket of connections) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const person = { ...SAMPLE_PERSON, id12: '079201000001', dateOfBirth: '1992-03-15' };
    const simulator = await CccdCardSimulator.create({ person, scenario: 'slow-card' });
    const ready: SimCardInfo[] = [];
    const logs: string[] = [];
    const exportTrust = path.join(tmp.dir, 'sim-trust');
    const running = runSimCard({
      simulator,
      port,
      exportTrust,
      signal: controller.signal,
      onReady: (info) => ready.push(info),
      log: (m) => logs.push(m),
      reinsertMs: 10,
    });
    // Building the chip's files (DG14/DG15 keys) takes a while on a busy machine.
    await until(() => ready.length > 0, 45_000);
    expect(ready).toEqual([
      {
        port,
        readerName: null,
        id12: '079201000001',
        dateOfBirth: '920315',
        dateOfExpiry: '390101',
        can: '000001',
        mrzInformation: simulator.access().mrzInformation,
        scenario: 'slow-card',
        trustStore: exportTrust,
        terminalCredentials: path.join(exportTrust, 'eac'),
        fingerprintSeed: simulator.fingerprintSeed,
      },
    ]);
    expect(existsSync(path.join(exportTrust, 'csca-1.pem'))).toBe(true);
    expect(existsSync(path.join(exportTrust, 'eac', 'terminal.cvcert'))).toBe(true);

    // `ready` comes once vpcd has asked for the ATR; the answer may still be on its way. Pulling the
    // card before it arrives loses that ATR, and the count below would stop at one.
    await until(() => atrs.length >= 1, 15_000);
    connections[0]?.destroy(); // vpcd drops the card (as when it is pulled)
    // The fresh card builds its chip files again (DG14/DG15 keys): 15 s was not enough once in CI.
    await until(() => atrs.length >= 2, 45_000);
    expect(atrs).toHaveLength(2);
    expect(logs[0]).toMatch(/the card left vpcd port \d+; a fresh one goes back in 10 ms/);

    const closed = new Promise<void>((resolve) => connections[1]?.once('close', () => resolve()));
    controller.abort();
    await running;
    await closed;
    expect(ready).toHaveLength(1);
  }, 120_000);
});
