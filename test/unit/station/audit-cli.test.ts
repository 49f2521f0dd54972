/**
 * `station audit verify|tail` (issue 21, Done when: "`station audit verify` catches an edited line
 * in a test"): exit 0 on an intact log, 1 with the line and kind of an edited line, 1 with the
 * anchor message for a log restored from an older backup, 2 for a wrong command line.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAnchorStore } from '../../../station/audit/anchor.ts';
import { auditLogFile, openAuditTrail } from '../../../station/audit/trail.ts';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';
import { createStationCa, fileSigner, issueStationCertificate, toPem } from '../../support/packet-keys.ts';

let dataDir: string;
let log: string;
const clock = { now: () => Date.parse('2026-12-07T08:00:00.000Z') };

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(tmpdir(), 'audit-cli-'));
  log = auditLogFile(dataDir);
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function writeLog(n: number, signer?: Parameters<typeof openAuditTrail>[0]['signer']) {
  const trail = await openAuditTrail({ dataDir, clock, signer });
  let head = trail.head();
  for (let i = 0; i < n; i++)
    head = await trail.record({
      actor: 'officer-9',
      action: 'enrollment.step',
      outcome: 'ok',
      subject: { citizen: '001099012345' },
      details: { i },
    });
  await trail.checkpoint();
  await trail.close();
  return head;
}

async function run(...args: string[]) {
  const io = recordingIo(dataDir);
  const code = await main(['audit', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('station audit verify', () => {
  it('exits 0 on an intact log and summarises it', async () => {
    await writeLog(3);
    const { code, out, err } = await run('verify', '--log', log);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      intact: true,
      entries: 5,
      anchor: null,
      checkpoints: { unsigned: 1 },
    });
    expect(err).toMatch(/intact: 5 entries/);
  });

  it('catches an edited line: exit 1 with its line number and kind', async () => {
    await writeLog(4);
    const lines = (await fs.readFile(log, 'utf8')).split('\n');
    lines[2] = (lines[2] ?? '').replace('"outcome":"ok"', '"outcome":"refused"');
    await fs.writeFile(log, lines.join('\n'));
    const { code, out, err } = await run('verify', '--log', log);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ intact: false, break: { line: 3, kind: 'edited' } });
    expect(err).toMatch(/broken at line 3 \(edited\)/);
  });

  it('refuses a log restored from an older backup: shorter than what central acknowledged', async () => {
    await writeLog(1);
    const backup = await fs.readFile(log);
    const trail = await openAuditTrail({ dataDir, clock });
    const acknowledged = await trail.record({ actor: 'station', action: 'packet.built', outcome: 'ok' });
    await trail.close();
    await openAnchorStore(dataDir).record({
      ...acknowledged,
      packetId: 'p-9',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    expect((await run('verify', '--log', log)).code).toBe(0);

    await fs.writeFile(log, backup);
    const { code, out, err } = await run('verify', '--log', log);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ break: { kind: 'truncated', seq: acknowledged.seq } });
    expect(err).toMatch(new RegExp(`shorter than what central acknowledged.*seq ${acknowledged.seq}`));
  });

  it("refuses a valid log that ends before the station's own verified mark, with no anchor at all", async () => {
    await writeLog(1);
    const backup = await fs.readFile(log);
    await writeLog(2);
    await fs.writeFile(log, backup);
    const { code, out, err } = await run('verify', '--log', log);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ intact: false, anchor: null, verifiedMark: { held: false } });
    expect(err).toMatch(/before seq \d+ the station itself verified/);
  });

  it('checks checkpoint signatures against the certificate it is given', async () => {
    const ca = await createStationCa();
    const station = await issueStationCertificate(ca);
    await writeLog(2, fileSigner(station));
    const certFile = path.join(dataDir, 'station.pem');
    await fs.writeFile(certFile, toPem(station.certificate));
    const { code, out } = await run('verify', '--log', log, '--cert', certFile);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ checkpoints: { signed: 1, signaturesChecked: 1 } });
  });

  it('a wrong command line exits 2; a missing log exits 1', async () => {
    expect((await run('verify', '--nope')).code).toBe(2);
    expect((await run('verify', '--log', log, '--anchor', path.join(dataDir, 'none.json'))).code).toBe(2);
    expect((await run('verify', '--log', path.join(dataDir, 'missing.log'))).code).toBe(1);
  });
});

describe('station audit tail', () => {
  it('prints the last N entries as stored, with pseudonyms only', async () => {
    await writeLog(5);
    const { code, out } = await run('tail', '--log', log, '-n', '2');
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.action)).toEqual(['enrollment.step', 'audit.checkpoint']);
    expect(out).not.toContain('001099012345');
  });
});
