/**
 * The station's audit trail (issue 21, Build 8): the file it writes verifies; pseudonyms are keyed
 * (stable per key, different across keys) and no planted citizen id, name or card number reaches
 * the file; a torn last line is moved aside and logged, not called tampering; an edited line or a
 * restore from backup refuses to open; checkpoints are signed with the station key, or say why not.
 */
import { createHash, verify } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkpointOf, checkpointSigningInput } from '../../../protocol/audit/checkpoint.ts';
import type { AuditEntry } from '../../../protocol/audit/entry.ts';
import {
  AuditError,
  type AuditTrail,
  anchorFile,
  auditKeyFile,
  auditLogFile,
  openAnchorStore,
  openAuditTrail,
  openCheckpointSigner,
  verifyAuditLogFile,
} from '../../../station/audit/index.ts';
import { createStationCa, fileSigner, issueStationCertificate } from '../../support/packet-keys.ts';

let dataDir: string;
let now = Date.parse('2026-12-07T08:00:00.000Z');
const clock = { now: () => now };
const open: AuditTrail[] = [];

async function trail(options: Partial<Parameters<typeof openAuditTrail>[0]> = {}) {
  const t = await openAuditTrail({ dataDir, clock, ...options });
  open.push(t);
  return t;
}

async function entries(dir = dataDir): Promise<AuditEntry[]> {
  const text = await fs.readFile(auditLogFile(dir), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEntry);
}

beforeEach(async () => {
  now = Date.parse('2026-12-07T08:00:00.000Z');
  dataDir = await fs.mkdtemp(path.join(tmpdir(), 'audit-'));
});

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('writing', () => {
  it('writes a chain that verifies, with the head it reports, and records its opening', async () => {
    const t = await trail();
    const a = await t.record({ actor: 'officer-1', action: 'enrollment.started', outcome: 'ok' });
    now += 1000;
    const b = await t.record({
      actor: 'officer-1',
      action: 'enrollment.signed',
      outcome: 'ok',
      details: { images: 11 },
    });
    expect(b.seq).toBe(a.seq + 1);
    expect(t.head()).toEqual(b);
    const result = await verifyAuditLogFile(auditLogFile(dataDir));
    expect(result.chain).toMatchObject({ ok: true, head: b });
    const list = await entries();
    expect(list[0]).toMatchObject({ seq: 1, action: 'audit.opened', actor: 'station' });
    expect(list[0]?.details).toMatchObject({
      checkpointsSigned: false,
      checkpointsUnsignedReason: 'no-station-certificate',
    });
    expect(list[2]).toMatchObject({ action: 'enrollment.signed', time: '2026-12-07T08:00:01.000Z' });
    expect((await fs.stat(auditLogFile(dataDir))).mode & 0o777).toBe(0o600);
  });

  it('serialises concurrent appends: consecutive seqs, one valid chain', async () => {
    const t = await trail();
    const anchors = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.record({ actor: 'station', action: 'test.burst', outcome: 'ok', details: { i } }),
      ),
    );
    const seqs = anchors.map((a) => a.seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    expect((await verifyAuditLogFile(auditLogFile(dataDir))).chain.ok).toBe(true);
  });

  it('refuses events the format forbids, without writing them', async () => {
    const t = await trail();
    await expect(t.record({ actor: 'station', action: 'Bad Code', outcome: 'ok' })).rejects.toThrow(
      TypeError,
    );
    await expect(
      t.record({ actor: 'station', action: 'x.y', outcome: 'ok', details: { id: '079203001234' } }),
    ).rejects.toThrow(/twelve digits/);
    expect(await entries()).toHaveLength(1);
  });

  it('a second open of the same folder in this process is refused', async () => {
    await trail();
    await expect(openAuditTrail({ dataDir, clock })).rejects.toMatchObject({ code: 'AUDIT_ALREADY_OPEN' });
  });
});

describe('pseudonyms and personal data', () => {
  it('keyed pseudonyms: stable across restarts with the same key, different under another key', async () => {
    const first = await trail();
    const p1 = first.pseudonym('citizen', '001099012345');
    await first.close();
    open.length = 0;
    const again = await trail();
    expect(again.pseudonym('citizen', '001099012345')).toBe(p1);
    expect(again.pseudonym('document', '001099012345')).not.toBe(p1);
    // Not a plain hash: enumeration of 12-digit ids would undo that.
    expect(p1).not.toBe(createHash('sha256').update('001099012345').digest('hex'));
    const key = await fs.stat(auditKeyFile(dataDir));
    expect(key.mode & 0o777).toBe(0o600);
    expect(key.size).toBe(32);

    const otherDir = await fs.mkdtemp(path.join(tmpdir(), 'audit-other-'));
    try {
      const other = await openAuditTrail({ dataDir: otherDir, clock });
      expect(other.pseudonym('citizen', '001099012345')).not.toBe(p1);
      await other.close();
    } finally {
      await fs.rm(otherDir, { recursive: true, force: true });
    }
  });

  it('canary: a planted citizen id, name, card number and packet id never reach the log', async () => {
    const personalId = '079203001234';
    const name = 'Trần Thị Canary';
    const cardNumber = '079203001234';
    const packetId = '6f1c7a52-93d4-4c1e-8b0a-2f9e1d3c4b5a';
    const t = await trail();
    await t.record({
      actor: 'officer-1',
      action: 'enrollment.demographics-saved',
      outcome: 'ok',
      subject: { citizen: personalId, session: 'sess-1' },
      details: { fields: 11 },
    });
    await t.record({
      actor: 'officer-1',
      action: 'enrollment.queued',
      outcome: 'ok',
      subject: { citizen: personalId, document: cardNumber, packet: packetId },
    });
    await expect(
      t.record({
        actor: 'officer-1',
        action: 'enrollment.note',
        outcome: 'ok',
        details: { note: `${name} ${personalId}` },
      }),
    ).rejects.toThrow(TypeError);
    await t.checkpoint();
    await t.close();
    open.length = 0;
    const bytes = await fs.readFile(auditLogFile(dataDir), 'utf8');
    for (const canary of [personalId, name, 'Canary', cardNumber, packetId, packetId.slice(0, 8)])
      expect(bytes.includes(canary), canary).toBe(false);
    // The subject is there, as its pseudonym.
    const list = await entries();
    expect(list.filter((e) => e.subject.citizen !== undefined)).toHaveLength(2);
  });
});

describe('opening a log', () => {
  it('a torn last line is moved aside, logged as recovered, and the chain goes on', async () => {
    const t = await trail();
    await t.record({ actor: 'station', action: 'test.one', outcome: 'ok' });
    await t.close();
    open.length = 0;
    const whole = await fs.readFile(auditLogFile(dataDir));
    const torn = '{"action":"test.two","actor":"sta';
    await fs.appendFile(auditLogFile(dataDir), torn);

    const reopened = await trail();
    expect(reopened.recovered).toMatchObject({ bytes: torn.length });
    const aside = reopened.recovered?.file ?? '';
    expect(path.basename(aside)).toMatch(/^audit\.log\.torn-2026-12-07T08-00-00\.000Z-/);
    expect(await fs.readFile(aside, 'utf8')).toBe(torn);
    const list = await entries();
    expect(list.slice(2).map((e) => e.action)).toEqual(['audit.torn-line-recovered', 'audit.opened']);
    expect(list[2]?.details).toMatchObject({
      bytes: torn.length,
      line: 3,
      sha256: createHash('sha256').update(torn).digest('hex'),
    });
    expect((await fs.readFile(auditLogFile(dataDir))).subarray(0, whole.length)).toEqual(whole);
    expect((await verifyAuditLogFile(auditLogFile(dataDir))).chain.ok).toBe(true);
  });

  it('an edited line refuses to open, naming the line and the kind', async () => {
    const t = await trail();
    await t.record({ actor: 'officer-1', action: 'enrollment.signed', outcome: 'ok' });
    await t.record({ actor: 'officer-1', action: 'enrollment.queued', outcome: 'ok' });
    await t.close();
    open.length = 0;
    const text = await fs.readFile(auditLogFile(dataDir), 'utf8');
    await fs.writeFile(auditLogFile(dataDir), text.replace('"actor":"officer-1"', '"actor":"officer-2"'));
    const error = await openAuditTrail({ dataDir, clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditError);
    expect(error).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', line: 2, kind: 'edited' });
  });

  it('restore from backup: a valid chain older than the echoed anchor refuses to open', async () => {
    const t = await trail();
    await t.record({ actor: 'station', action: 'test.one', outcome: 'ok' });
    const backup = await fs.readFile(auditLogFile(dataDir));
    const later = await t.record({ actor: 'station', action: 'test.two', outcome: 'ok' });
    await t.close();
    open.length = 0;
    await openAnchorStore(dataDir).record({
      ...later,
      packetId: 'p-1',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    await fs.writeFile(auditLogFile(dataDir), backup);

    const error = await openAuditTrail({ dataDir, clock }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUDIT_BEHIND_ANCHOR', kind: 'truncated', seq: later.seq });
    const check = await verifyAuditLogFile(auditLogFile(dataDir), { anchor: later });
    expect(check.chain).toMatchObject({ ok: false, break: { kind: 'truncated' } });
    // The intact log still opens with that anchor.
  });

  it('a deleted log with an anchor on record refuses to open', async () => {
    const t = await trail();
    const head = await t.record({ actor: 'station', action: 'test.one', outcome: 'ok' });
    await t.close();
    open.length = 0;
    await openAnchorStore(dataDir).record({
      ...head,
      packetId: 'p-2',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    await fs.rm(auditLogFile(dataDir));
    await expect(openAuditTrail({ dataDir, clock })).rejects.toMatchObject({
      code: 'AUDIT_BEHIND_ANCHOR',
      kind: 'truncated',
    });
  });

  it('the anchor store only moves upwards', async () => {
    const store = openAnchorStore(dataDir);
    const meta = { packetId: 'p', receivedAt: '2026-12-07T08:00:00.000Z' };
    expect(await store.record({ seq: 5, head: 'aa'.repeat(32), ...meta })).toBe(true);
    expect(await store.record({ seq: 3, head: 'bb'.repeat(32), ...meta })).toBe(false);
    const results = await Promise.all([
      store.record({ seq: 9, head: 'cc'.repeat(32), ...meta }),
      store.record({ seq: 7, head: 'dd'.repeat(32), ...meta }),
    ]);
    expect(results).toEqual([true, false]);
    expect(await store.read()).toMatchObject({ seq: 9, head: 'cc'.repeat(32) });
    expect(JSON.parse(await fs.readFile(anchorFile(dataDir), 'utf8'))).toMatchObject({ seq: 9 });
  });
});

describe('the verified mark (verified.json)', () => {
  async function written(n: number) {
    const t = await trail();
    let head = t.head();
    for (let i = 0; i < n; i++)
      head = await t.record({ actor: 'station', action: 'test.tick', outcome: 'ok', details: { i } });
    await t.close();
    open.length = 0;
    return head;
  }

  it('whole mode: a valid but shorter log than the mark refuses to open, even with no anchor', async () => {
    await written(1);
    const backup = await fs.readFile(auditLogFile(dataDir));
    await written(2);
    await fs.writeFile(auditLogFile(dataDir), backup);
    await expect(openAuditTrail({ dataDir, clock })).rejects.toMatchObject({
      code: 'AUDIT_BEHIND_ANCHOR',
      kind: 'truncated',
    });
  });

  it('since-mark: opens on the tail only, recovers a torn line there, and verifyAll still sees the whole log', async () => {
    await written(3);
    const lines = (await fs.readFile(auditLogFile(dataDir), 'utf8')).split('\n');
    // An edit inside the verified prefix, same length: open (since-mark) does not read it ...
    lines[1] = (lines[1] ?? '').replace('"i":0', '"i":7');
    await fs.writeFile(auditLogFile(dataDir), `${lines.join('\n')}{"torn":`);
    const t = await trail({ verifyAtOpen: 'since-mark' });
    expect(t.recovered).toMatchObject({ bytes: 8 });
    // ... verifyAll does, at its line.
    const all = await t.verifyAll();
    expect(all).toMatchObject({ ok: false, break: { kind: 'edited', line: 2 } });
    // The whole mode refuses that log at open.
    await t.close();
    open.length = 0;
    await expect(openAuditTrail({ dataDir, clock })).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      line: 2,
    });
  });

  it('since-mark: a log and mark restored together from a backup still fail the newer anchor', async () => {
    await written(1);
    const backupLog = await fs.readFile(auditLogFile(dataDir));
    const backupMark = await fs.readFile(path.join(dataDir, 'audit', 'verified.json'));
    const later = await written(2);
    await openAnchorStore(dataDir).record({
      ...later,
      packetId: 'p-3',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    await fs.writeFile(auditLogFile(dataDir), backupLog);
    await fs.writeFile(path.join(dataDir, 'audit', 'verified.json'), backupMark);
    await expect(openAuditTrail({ dataDir, clock, verifyAtOpen: 'since-mark' })).rejects.toMatchObject({
      code: 'AUDIT_BEHIND_ANCHOR',
      kind: 'truncated',
    });
  });

  it('since-mark: an anchor inside the prefix whose entry was rewritten is found and refused', async () => {
    const head = await written(3);
    const anchored = { seq: head.seq - 1, head: '' };
    const list = await entries();
    anchored.head = list[anchored.seq - 1]?.hash ?? '';
    await openAnchorStore(dataDir).record({
      ...anchored,
      packetId: 'p-4',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    // Drop the anchored entry's hash from the file by rewriting it (and keeping the mark's last line).
    const text = await fs.readFile(auditLogFile(dataDir), 'utf8');
    await fs.writeFile(auditLogFile(dataDir), text.replace(anchored.head, 'f'.repeat(64)));
    await expect(openAuditTrail({ dataDir, clock, verifyAtOpen: 'since-mark' })).rejects.toBeInstanceOf(
      AuditError,
    );
    // Untouched, the same anchor opens fine in since-mark mode.
  });

  it('since-mark: an untouched log with an anchor in its prefix opens', async () => {
    const head = await written(3);
    await openAnchorStore(dataDir).record({
      ...head,
      packetId: 'p-5',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    const t = await trail({ verifyAtOpen: 'since-mark' });
    expect(t.head().seq).toBe(head.seq + 1);
    expect((await t.verifyAll()).ok).toBe(true);
  });
});

describe('checkpoints', () => {
  it('every N entries, signed with the station key, verifiable with its certificate', async () => {
    const ca = await createStationCa();
    const station = await issueStationCertificate(ca);
    const t = await trail({ signer: fileSigner(station), checkpoints: { everyEntries: 3 } });
    for (let i = 0; i < 3; i++) await t.record({ actor: 'station', action: 'test.tick', outcome: 'ok' });
    await t.close();
    open.length = 0;
    const list = await entries();
    const checkpoints = list.filter((e) => e.action === 'audit.checkpoint');
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const first = checkpoints[0] as AuditEntry;
    const cp = checkpointOf(first);
    if (cp === undefined || typeof cp === 'string' || !cp.signed)
      throw new Error(`not a signed checkpoint: ${String(cp)}`);
    const before = list[first.seq - 2] as AuditEntry;
    expect({ seq: cp.seq, head: cp.head }).toEqual({ seq: before.seq, head: before.hash });
    expect(cp.certificateSha256).toBe(createHash('sha256').update(station.certificate).digest('hex'));
    const { X509Certificate } = await import('node:crypto');
    const key = new X509Certificate(Buffer.from(station.certificate)).publicKey;
    expect(
      verify(
        'sha256',
        checkpointSigningInput(cp),
        { key, dsaEncoding: 'der' },
        Buffer.from(cp.signature, 'base64'),
      ),
    ).toBe(true);

    const checked = await verifyAuditLogFile(auditLogFile(dataDir), { certificates: [station.certificate] });
    expect(checked).toMatchObject({ chain: { ok: true }, signaturesChecked: checkpoints.length });
    // A certificate of another key: the signature fails, a bad-checkpoint break.
    const other = await issueStationCertificate(ca);
    const forgedCert = { ...station, certificate: other.certificate };
    const wrongDir = await verifyAuditLogFile(auditLogFile(dataDir), {
      certificates: [forgedCert.certificate],
    });
    expect(wrongDir.signaturesChecked).toBe(0);
  });

  it('every M ms while entries come in, and not when idle', async () => {
    const t = await trail({ checkpoints: { everyMs: 1000 } });
    await t.record({ actor: 'station', action: 'test.tick', outcome: 'ok' });
    now += 1000;
    await vi.waitFor(
      async () =>
        expect((await entries()).at(-1)).toMatchObject({
          action: 'audit.checkpoint',
          time: '2026-12-07T08:00:01.000Z',
        }),
      { timeout: 4000, interval: 100 },
    );
    const count = (await entries()).length;
    now += 5000;
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(await entries()).toHaveLength(count);
  });

  it('without a certificate, checkpoints are written unsigned with the reason', async () => {
    // A fresh key store has no certificate: no signer, and no error.
    expect(await openCheckpointSigner(dataDir)).toBeUndefined();
    const t = await trail();
    await t.record({ actor: 'station', action: 'test.tick', outcome: 'ok' });
    await t.checkpoint();
    const list = await entries();
    expect(list.at(-1)).toMatchObject({
      action: 'audit.checkpoint',
      details: { signed: false, reason: 'no-station-certificate', seq: 2 },
    });
  });

  it('a signature that does not verify is a bad-checkpoint break', async () => {
    const ca = await createStationCa();
    const station = await issueStationCertificate(ca);
    const other = await issueStationCertificate(ca);
    // The trail signs with `other`'s key while naming `station`'s certificate.
    const lying = { ...fileSigner(other), certificate: station.certificate };
    const t = await trail({ signer: lying });
    await t.checkpoint();
    await t.close();
    open.length = 0;
    const result = await verifyAuditLogFile(auditLogFile(dataDir), { certificates: [station.certificate] });
    expect(result.chain).toMatchObject({ ok: false, break: { kind: 'bad-checkpoint', line: 2 } });
  });
});
