/**
 * Removable media (issue 18 item 3): export waiting packets to a folder (exact bytes, manifest
 * last, SHA256SUMS that `sha256sum -c` accepts), the packets staying queued and marked exported;
 * import of real ES256-signed statements back, each file checked on its own (symlinks, bad names,
 * oversized files, wrong digest, bad signature, unknown packet refused; good ones applied in the
 * same folder); refusals before writing; a torn export recognisable.
 */
import { spawnSync } from 'node:child_process';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify as verifySignatureBytes,
} from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  joinStatement,
  STATEMENT_MAX_LENGTH,
  type Statement,
  type StatementExpectation,
  statementSigningInput,
  verifyStatement,
} from '../../../protocol/central/statement.ts';
import { MemoryOutboxFs } from '../../../station/outbox/memory-fs.ts';
import { Outbox } from '../../../station/outbox/outbox.ts';
import {
  checkExport,
  exportToFolder,
  importReceipts,
  RemovableMediaError,
} from '../../../station/outbox/removable.ts';

const T0 = Date.UTC(2027, 0, 15, 8, 0, 0);
const STATION = 'ST-HN-0001';
const ENV = 'test';

function id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function bytesOf(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (seed * 59 + i * 13) & 0xff;
  return bytes;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Central's receipt-signing key, made here; its SPKI is pinned under a kid of our choosing. */
function centralKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  return { privateKey, spki, kid: sha256(spki) };
}

const central = centralKey();
const impostor = centralKey();

function signStatement(statement: Statement, key: KeyObject = central.privateKey): Uint8Array {
  const input = statementSigningInput(central.kid, statement);
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return joinStatement(input, new Uint8Array(signature));
}

function receiptFor(packetId: string, bytes: Uint8Array, overrides: Partial<Statement> = {}): Statement {
  return {
    v: 1,
    kind: 'receipt',
    packetId,
    sha256: sha256(bytes),
    size: bytes.length,
    environment: ENV,
    stationId: STATION,
    centralKeyId: central.kid,
    receivedAt: '2027-01-16T09:30:00.000Z',
    enrollmentSessionId: `session-${packetId.slice(-4)}`,
    ...overrides,
  } as Statement;
}

function refusalFor(packetId: string, bytes: Uint8Array): Statement {
  return {
    v: 1,
    kind: 'refusal',
    packetId,
    sha256: sha256(bytes),
    size: bytes.length,
    environment: ENV,
    stationId: STATION,
    centralKeyId: central.kid,
    decidedAt: '2027-01-16T09:31:00.000Z',
    code: 'CENTRAL_SIGNER_REVOKED',
    message: { vi: 'Chứng thư của trạm đã bị thu hồi', en: 'The station certificate is revoked' },
  };
}

/** The lead binds verify to verifyStatement with the pinned keys; so does this test. */
const verify = (bytes: Uint8Array, expect: StatementExpectation) =>
  verifyStatement(bytes, {
    pinned: [{ keyId: central.kid, publicKey: central.spki }],
    expect,
    verifySignature: async (check) =>
      verifySignatureBytes(
        'sha256',
        check.data,
        {
          key: createPublicKey({ key: Buffer.from(check.publicKey), format: 'der', type: 'spki' }),
          dsaEncoding: 'ieee-p1363',
        },
        check.signature,
      ),
  });

const importOptions = { verify, stationId: STATION, environment: ENV };

async function outboxWith(
  count: number,
): Promise<{ outbox: Outbox; fs: MemoryOutboxFs; packets: Uint8Array[] }> {
  const fs = new MemoryOutboxFs();
  let wall = T0 - 86_400_000;
  const outbox = await Outbox.open({ fs, now: () => wall++, monotonic: () => 0 });
  const packets: Uint8Array[] = [];
  for (let n = 1; n <= count; n += 1) {
    const bytes = bytesOf(n, 3000 + n * 100);
    packets.push(bytes);
    await outbox.enqueue(id(n), bytes);
  }
  return { outbox, fs, packets };
}

describe('export to removable media and import of receipts', () => {
  let usb = '';
  beforeEach(async () => {
    usb = await mkdtemp(path.join(os.tmpdir(), 'usb-'));
  });
  afterEach(async () => {
    await rm(usb, { recursive: true, force: true });
  });

  it('round-trips: exported bytes exact, packets still queued, then the signed receipts acknowledge them', async () => {
    const { outbox, fs, packets } = await outboxWith(3);
    const result = await exportToFolder(outbox, usb, { stationId: STATION, environment: ENV, now: T0 });
    expect(path.basename(result.folder)).toBe(`cccd-outbox-export-${STATION}-20270115T080000Z`);
    expect(result.skipped).toEqual([]);
    expect((await readdir(result.folder)).sort()).toEqual(['SHA256SUMS', 'manifest.json', 'packets']);
    const manifest = JSON.parse(await readFile(path.join(result.folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'cccd-outbox-export',
      version: 1,
      stationId: STATION,
      environment: ENV,
      exportedAt: '2027-01-15T08:00:00.000Z',
    });
    expect(manifest.packets).toEqual(
      packets.map((bytes, i) => ({
        packetId: id(i + 1),
        file: `packets/${id(i + 1)}.pkt`,
        size: bytes.length,
        sha256: sha256(bytes),
      })),
    );
    for (const [i, bytes] of packets.entries()) {
      const copied = await readFile(path.join(result.folder, 'packets', `${id(i + 1)}.pkt`));
      expect(copied.equals(Buffer.from(bytes))).toBe(true);
    }
    // The checksums are in the format the standard tool checks.
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: result.folder, encoding: 'utf8' });
    expect(sums.status, sums.stderr).toBe(0);
    expect(sums.stdout.trim().split('\n')).toHaveLength(3);
    expect(await checkExport(result.folder)).toMatchObject({ complete: true });

    // Still queued, marked exported, also after reopening.
    expect(outbox.list().map((e) => [e.state, e.exportedAt])).toEqual([
      ['queued', T0],
      ['queued', T0],
      ['queued', T0],
    ]);
    expect(await outbox.next()).not.toBeNull();
    const reopened = await Outbox.open({ fs, now: () => T0, monotonic: () => 0 });
    expect(reopened.list().map((e) => e.exportedAt)).toEqual([T0, T0, T0]);

    // Central writes its statements back into receipts/ on the same stick.
    const receipts = path.join(result.folder, 'receipts');
    await mkdir(receipts);
    const statements = [
      signStatement(receiptFor(id(1), packets[0] as Uint8Array)),
      signStatement(receiptFor(id(2), packets[1] as Uint8Array)),
      signStatement(refusalFor(id(3), packets[2] as Uint8Array)),
    ];
    for (const [i, jws] of statements.entries())
      await writeFile(path.join(receipts, `${id(i + 1)}.jws`), jws);
    const report = await importReceipts(outbox, result.folder, importOptions);
    expect(report).toEqual([
      { file: `${id(1)}.jws`, packetId: id(1), outcome: 'acknowledged' },
      { file: `${id(2)}.jws`, packetId: id(2), outcome: 'acknowledged' },
      { file: `${id(3)}.jws`, packetId: id(3), outcome: 'dead-lettered', code: 'CENTRAL_SIGNER_REVOKED' },
    ]);
    expect(Buffer.from(await outbox.receipt(id(1))).equals(Buffer.from(statements[0] as Uint8Array))).toBe(
      true,
    );
    expect(outbox.entry(id(3))).toMatchObject({
      state: 'dead-letter',
      deadLetter: {
        code: 'CENTRAL_SIGNER_REVOKED',
        message: expect.stringMatching(/^Chứng thư .* \/ The station/),
      },
    });
    expect(outbox.entry(id(1))?.exportedAt).toBeUndefined();
    expect(outbox.depth()).toBe(0);
    // Importing the same stick again changes nothing.
    expect((await importReceipts(outbox, result.folder, importOptions)).map((r) => r.outcome)).toEqual([
      'already-acknowledged',
      'already-acknowledged',
      'dead-lettered',
    ]);
  });

  it('checks each file on its own: bad ones refused with their code, good ones in the same folder applied', async () => {
    const { outbox, packets } = await outboxWith(7);
    const p = (n: number) => packets[n - 1] as Uint8Array;
    const elsewhere = path.join(usb, 'elsewhere');
    await mkdir(elsewhere);
    // No receipts/ folder: the .jws files sit directly in the folder, with unrelated files around.
    const inbox = path.join(usb, 'inbox');
    await mkdir(inbox);
    await writeFile(path.join(inbox, 'notes.txt'), 'not a statement');
    await writeFile(path.join(inbox, `${id(1)}.jws`), signStatement(receiptFor(id(1), p(1))));
    await writeFile(path.join(elsewhere, 'real.jws'), signStatement(receiptFor(id(2), p(2))));
    await symlink(path.join(elsewhere, 'real.jws'), path.join(inbox, `${id(2)}.jws`));
    await writeFile(path.join(inbox, `..\\${id(3)}.jws`), signStatement(receiptFor(id(3), p(3))));
    await writeFile(path.join(inbox, `${id(4)}.jws`), new Uint8Array(STATEMENT_MAX_LENGTH + 1).fill(0x41));
    await writeFile(path.join(inbox, `${id(5)}.jws`), signStatement(receiptFor(id(5), bytesOf(99, 3500))));
    await writeFile(
      path.join(inbox, `${id(6)}.jws`),
      signStatement(receiptFor(id(6), p(6)), impostor.privateKey),
    );
    await writeFile(path.join(inbox, `${id(99)}.jws`), signStatement(receiptFor(id(99), p(1))));
    await writeFile(path.join(inbox, `${id(7)}.jws`), signStatement(refusalFor(id(7), p(7))));
    const report = await importReceipts(outbox, inbox, importOptions);
    const byFile = Object.fromEntries(report.map((r) => [r.file, [r.outcome, r.code]]));
    expect(byFile).toEqual({
      [`${id(1)}.jws`]: ['acknowledged', undefined],
      [`${id(2)}.jws`]: ['refused', 'IMPORT_SYMLINK'],
      [`..\\${id(3)}.jws`]: ['refused', 'IMPORT_BAD_NAME'],
      [`${id(4)}.jws`]: ['refused', 'IMPORT_TOO_LARGE'],
      [`${id(5)}.jws`]: ['refused', 'IMPORT_STATEMENT_WRONG_PACKET'],
      [`${id(6)}.jws`]: ['refused', 'IMPORT_STATEMENT_BAD_SIGNATURE'],
      [`${id(99)}.jws`]: ['refused', 'IMPORT_UNKNOWN_PACKET'],
      [`${id(7)}.jws`]: ['dead-lettered', 'CENTRAL_SIGNER_REVOKED'],
    });
    expect(outbox.list().map((e) => e.state)).toEqual([
      'acknowledged',
      'queued',
      'queued',
      'queued',
      'queued',
      'queued',
      'dead-letter',
    ]);
    // A statement for another station is refused too.
    const other = path.join(usb, 'other');
    await mkdir(path.join(other, 'receipts'), { recursive: true });
    await writeFile(
      path.join(other, 'receipts', `${id(2)}.jws`),
      signStatement(receiptFor(id(2), p(2), { stationId: 'ST-HCM-0009' })),
    );
    expect(await importReceipts(outbox, other, importOptions)).toMatchObject([
      { packetId: id(2), outcome: 'refused', code: 'IMPORT_STATEMENT_WRONG_STATION' },
    ]);
  });

  it('refuses before writing: no folder, not a folder, too little space, a packet not waiting, nothing waiting', async () => {
    const { outbox } = await outboxWith(2);
    const options = { stationId: STATION, environment: ENV, now: T0 };
    const refused = async (promise: Promise<unknown>, code: string) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RemovableMediaError);
      expect((error as RemovableMediaError).code).toBe(code);
      expect((error as RemovableMediaError).message).toMatch(/ \/ /);
    };
    await refused(exportToFolder(outbox, path.join(usb, 'missing'), options), 'EXPORT_FOLDER_MISSING');
    await writeFile(path.join(usb, 'a-file'), 'x');
    await refused(exportToFolder(outbox, path.join(usb, 'a-file'), options), 'EXPORT_FOLDER_NOT_DIRECTORY');
    await refused(
      exportToFolder(outbox, usb, {
        ...options,
        freeBytes: async () => ({ freeBytes: 20_000, blockSize: 4096 }),
      }),
      'EXPORT_NO_SPACE',
    );
    expect(await readdir(usb)).toEqual(['a-file']);
    await refused(
      exportToFolder(outbox, usb, { ...options, packetIds: [id(9)] }),
      'EXPORT_PACKET_NOT_WAITING',
    );
    await refused(exportToFolder(outbox, usb, { ...options, stationId: '../x' }), 'EXPORT_BAD_STATION_ID');
    expect(await readdir(usb)).toEqual(['a-file']);
    // A packet named twice is exported once.
    const twice = await exportToFolder(outbox, usb, { ...options, packetIds: [id(1), id(1)] });
    expect(await checkExport(twice.folder)).toMatchObject({
      complete: true,
      manifest: { packets: [{ packetId: id(1) }] },
    });
    // Enough room exactly when the packets fit: the same call passes with more space.
    await exportToFolder(outbox, usb, {
      ...options,
      freeBytes: async () => ({ freeBytes: 10_000_000, blockSize: 4096 }),
    });
    await outbox.acknowledge(id(1), new Uint8Array([1]));
    await outbox.acknowledge(id(2), new Uint8Array([1]));
    await refused(exportToFolder(outbox, usb, options), 'EXPORT_NOTHING_TO_EXPORT');
    await refused(importReceipts(outbox, path.join(usb, 'missing'), importOptions), 'IMPORT_FOLDER_MISSING');
  });

  it('copies only digest-checked bytes: a packet corrupted on disk is skipped and quarantined', async () => {
    const { outbox, fs } = await outboxWith(2);
    const [name] = (await fs.readdir('queue')).filter((n) => n.startsWith(id(2)) && n.endsWith('.pkt'));
    const inode = fs.names.get(`queue/${name}`) ?? 0;
    const bytes = fs.inodes.get(inode)?.slice() ?? new Uint8Array(0);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    fs.inodes.set(inode, bytes);
    const result = await exportToFolder(outbox, usb, { stationId: STATION, environment: ENV, now: T0 });
    expect(result.skipped).toEqual([{ packetId: id(2), reason: 'corrupt' }]);
    expect(result.manifest.packets.map((p) => p.packetId)).toEqual([id(1)]);
    expect(outbox.quarantined()).toMatchObject([{ packetId: id(2), reason: 'wrong-digest' }]);
  });

  it('a torn export (no manifest, or a packet file that differs) is recognisable', async () => {
    const { outbox } = await outboxWith(2);
    const options = { stationId: STATION, environment: ENV, now: T0 };
    const first = await exportToFolder(outbox, usb, options);
    const second = await exportToFolder(outbox, usb, options);
    expect(path.basename(second.folder)).toBe(`${path.basename(first.folder)}-2`);
    await unlink(path.join(first.folder, 'manifest.json'));
    expect(await checkExport(first.folder)).toMatchObject({ complete: false, reason: 'no-manifest' });
    await writeFile(path.join(second.folder, 'packets', `${id(2)}.pkt`), 'short');
    expect(await checkExport(second.folder)).toMatchObject({ complete: false, reason: 'wrong-packet' });
    await writeFile(path.join(second.folder, 'manifest.json'), '{"format":"cccd-outbox-export","vers');
    expect(await checkExport(second.folder)).toMatchObject({ complete: false, reason: 'bad-manifest' });
  });
});
