/**
 * Removable media (issue 18 item 3), for points with no network at all: export waiting packets to a
 * folder on a USB stick, exactly as they are (encrypted), with a manifest and checksums; import
 * central's signed statements (receipts, refusals) back from one, each file checked on its own.
 *
 * Export layout (README.md in this folder):
 *
 *     <folder>/cccd-outbox-export-<stationId>-<yyyymmddThhmmssZ>/
 *       packets/<packetId>.pkt   the outbox file's bytes, unchanged
 *       SHA256SUMS               `sha256sum -c` format, paths relative to the export folder
 *       manifest.json            written last: its presence means the export is complete
 *
 * Every file is written to a hidden temporary name, fsynced, renamed into place, and its directory
 * fsynced. Exported packets stay queued (the uploader keeps trying) until their receipt comes back;
 * the outbox marks them `exportedAt`. The media is untrusted on the way back: an import refuses
 * symlinks, names that are not `<packetId>.jws`, oversized files, unknown packets and statements that
 * do not verify, and applies each good one atomically (Outbox.acknowledge / deadLetter).
 *
 * This is the station's side and uses node:fs directly (the media is not the outbox's storage).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readdir, rename, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  STATEMENT_MAX_LENGTH,
  type StatementCheck,
  type StatementExpectation,
} from '../../protocol/central/statement.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';

export const EXPORT_FORMAT = 'cccd-outbox-export';
export const EXPORT_VERSION = 1;
/** Start of an export folder's name; the station id and the UTC time follow. */
export const EXPORT_FOLDER_PREFIX = 'cccd-outbox-export-';
/** Most packets one manifest may list (the outbox refuses new enrollments at 5,000 waiting). */
export const EXPORT_MAX_PACKETS = 100_000;
/** Largest manifest read back, bytes. */
export const EXPORT_MANIFEST_MAX_LENGTH = 32 * 1024 * 1024;
/** Most `.jws` files one import looks at; the rest are reported refused, unread. */
export const IMPORT_MAX_FILES = 20_000;

const PACKET_ID = /^[A-Za-z0-9-]{1,64}$/;
const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RECEIPT_FILE = /^([A-Za-z0-9-]{1,64})\.jws$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** manifest.json of an export. */
export interface ExportManifest {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: typeof EXPORT_VERSION;
  readonly stationId: string;
  readonly environment: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly exportedAt: string;
  readonly packets: readonly ExportedPacket[];
}

export interface ExportedPacket {
  readonly packetId: string;
  /** Path relative to the export folder: `packets/<packetId>.pkt`. */
  readonly file: string;
  /** Bytes. */
  readonly size: number;
  /** Lowercase hex SHA-256 of the file: what central's receipt is bound to. */
  readonly sha256: string;
}

export type RemovableMediaErrorCode =
  | 'EXPORT_BAD_STATION_ID'
  | 'EXPORT_FOLDER_MISSING'
  | 'EXPORT_FOLDER_NOT_DIRECTORY'
  | 'EXPORT_FOLDER_NOT_WRITABLE'
  | 'EXPORT_NO_SPACE'
  | 'EXPORT_NOTHING_TO_EXPORT'
  | 'EXPORT_PACKET_NOT_WAITING'
  | 'EXPORT_WRITE_FAILED'
  | 'IMPORT_FOLDER_MISSING'
  | 'IMPORT_FOLDER_NOT_DIRECTORY';

/** A whole export or import refused. Messages are officer-facing: Vietnamese first, English second. */
export class RemovableMediaError extends Error {
  override readonly name = 'RemovableMediaError';
  readonly code: RemovableMediaErrorCode;
  readonly folder: string;
  readonly packetId: string | undefined;

  constructor(
    code: RemovableMediaErrorCode,
    message: string,
    fields: { folder: string; packetId?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.folder = fields.folder;
    this.packetId = fields.packetId;
  }
}

export interface ExportOptions {
  /** The station's id (its certificate's CN): names the export folder and goes in the manifest. */
  readonly stationId: string;
  /** 'test' or 'production'. */
  readonly environment: string;
  /** Wall-clock ms of the export. */
  readonly now: number;
  /** Packets to export (each must be waiting); default every queued or uploading packet. */
  readonly packetIds?: readonly string[];
  /** Free bytes on the target's file system; default statfs. Injected by tests. */
  readonly freeBytes?: (folder: string) => Promise<{ freeBytes: number; blockSize: number }>;
}

export interface ExportResult {
  /** The export folder created (absolute or as `folder` was given). */
  readonly folder: string;
  readonly manifest: ExportManifest;
  /** Packets not exported: their bytes turned out corrupt (now quarantined in the outbox). */
  readonly skipped: readonly { readonly packetId: string; readonly reason: 'corrupt' }[];
}

/** `yyyymmddThhmmssZ` of a wall-clock time. */
export function exportStamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** fsync a directory; file systems that cannot (some FAT drivers answer EINVAL) are let through. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    if (!['EINVAL', 'ENOTSUP', 'EOPNOTSUPP'].includes(errnoOf(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Writes `dir/name` durably: a hidden temporary file, fsync, rename (the caller fsyncs `dir`). */
async function writeFileDurable(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = path.join(dir, `.${name}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(tmp, path.join(dir, name));
}

const roundUp = (bytes: number, block: number): number => Math.ceil(bytes / block) * block;

async function defaultFreeBytes(folder: string): Promise<{ freeBytes: number; blockSize: number }> {
  const stats = await statfs(folder);
  return { freeBytes: Number(stats.bavail) * Number(stats.bsize), blockSize: Number(stats.bsize) };
}

function mb(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

/**
 * Exports waiting packets to a new folder under `folder` (module comment: layout, order of writes).
 * Memory: one packet at a time. The packets stay queued; the outbox marks them exported.
 * @throws RemovableMediaError EXPORT_BAD_STATION_ID, EXPORT_FOLDER_MISSING, EXPORT_FOLDER_NOT_DIRECTORY,
 *   EXPORT_FOLDER_NOT_WRITABLE, EXPORT_PACKET_NOT_WAITING, EXPORT_NOTHING_TO_EXPORT, EXPORT_NO_SPACE
 *   (all before anything is written), EXPORT_WRITE_FAILED (the media failed mid-way: the folder is
 *   left without manifest.json, recognisably incomplete; export again).
 */
export async function exportToFolder(
  outbox: Outbox,
  folder: string,
  options: ExportOptions,
): Promise<ExportResult> {
  const fields = { folder };
  if (!STATION_ID.test(options.stationId)) {
    throw new RemovableMediaError(
      'EXPORT_BAD_STATION_ID',
      `Mã trạm ${JSON.stringify(options.stationId)} không hợp lệ. / Station id ${JSON.stringify(options.stationId)} is not 1-64 letters, digits, dots, dashes or underscores.`,
      fields,
    );
  }
  await checkTarget(folder);

  let entries: OutboxEntry[];
  if (options.packetIds) {
    entries = [...new Set(options.packetIds)].map((packetId) => {
      const entry = outbox.entry(packetId);
      if (entry?.state !== 'queued' && entry?.state !== 'uploading') {
        throw new RemovableMediaError(
          'EXPORT_PACKET_NOT_WAITING',
          `Gói ${packetId} không ở trạng thái chờ gửi (${entry?.state ?? 'không có'}). / Packet ${packetId} is not waiting to be sent (${entry?.state ?? 'unknown'}).`,
          { folder, packetId },
        );
      }
      return entry;
    });
  } else {
    entries = outbox.list().filter((entry) => entry.state === 'queued' || entry.state === 'uploading');
  }
  if (entries.length === 0) {
    throw new RemovableMediaError(
      'EXPORT_NOTHING_TO_EXPORT',
      'Không có gói nào đang chờ để xuất. / No packet is waiting to be exported.',
      fields,
    );
  }
  if (entries.length > EXPORT_MAX_PACKETS) entries = entries.slice(0, EXPORT_MAX_PACKETS);

  // Room for every packet, the two listings and the directories, rounded to the media's blocks
  // (a FAT stick allocates 32 KiB clusters): refused before a byte is written.
  const { freeBytes, blockSize } = await (options.freeBytes ?? defaultFreeBytes)(folder);
  const block = Math.max(512, blockSize);
  const listing = roundUp(1024 + 250 * entries.length, block);
  const needed =
    entries.reduce((sum, entry) => sum + roundUp(entry.size, block), 0) + 2 * listing + 4 * block;
  if (freeBytes < needed) {
    throw new RemovableMediaError(
      'EXPORT_NO_SPACE',
      `Không đủ chỗ trên thiết bị: cần ${mb(needed)} MB, còn ${mb(freeBytes)} MB. Hãy dùng thiết bị khác hoặc xuất ít gói hơn. / Not enough room on the media: ${mb(needed)} MB needed, ${mb(freeBytes)} MB free. Use another stick or export fewer packets.`,
      fields,
    );
  }

  const base = `${EXPORT_FOLDER_PREFIX}${options.stationId}-${exportStamp(options.now)}`;
  const exportDir = await makeExportDir(folder, base);
  const packetsDir = path.join(exportDir, 'packets');
  const packets: ExportedPacket[] = [];
  const skipped: { packetId: string; reason: 'corrupt' }[] = [];
  let manifest: ExportManifest;
  try {
    await mkdir(packetsDir);
    for (const entry of entries) {
      // Read and digest-checked again now (corrupt bytes are quarantined by the outbox, not copied).
      const bytes = await outbox.read(entry.packetId, { recheck: true });
      const sha256 = bytes ? createHash('sha256').update(bytes).digest('hex') : '';
      if (!bytes || sha256 !== entry.digest || bytes.length !== entry.size) {
        skipped.push({ packetId: entry.packetId, reason: 'corrupt' });
        continue;
      }
      const file = `${entry.packetId}.pkt`;
      await writeFileDurable(packetsDir, file, bytes);
      packets.push({ packetId: entry.packetId, file: `packets/${file}`, size: bytes.length, sha256 });
    }
    await fsyncDir(packetsDir);
    const sums = packets.map((packet) => `${packet.sha256}  ${packet.file}\n`).join('');
    await writeFileDurable(exportDir, 'SHA256SUMS', new TextEncoder().encode(sums));
    await fsyncDir(exportDir);
    manifest = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      stationId: options.stationId,
      environment: options.environment,
      exportedAt: new Date(options.now).toISOString(),
      packets,
    };
    await writeFileDurable(
      exportDir,
      'manifest.json',
      new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    );
    await fsyncDir(exportDir);
    await fsyncDir(folder);
  } catch (error) {
    throw new RemovableMediaError(
      'EXPORT_WRITE_FAILED',
      `Ghi ra thiết bị bị lỗi (${errnoOf(error) ?? 'lỗi'}); bản xuất ${base} chưa hoàn tất. Hãy xuất lại. / Writing to the media failed (${errnoOf(error) ?? 'error'}); export ${base} is incomplete (no manifest.json). Export again.`,
      fields,
      { cause: error },
    );
  }
  await outbox.markExported(
    packets.map((packet) => packet.packetId),
    options.now,
  );
  return { folder: exportDir, manifest, skipped };
}

async function checkTarget(folder: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(folder);
  } catch (error) {
    throw new RemovableMediaError(
      'EXPORT_FOLDER_MISSING',
      `Không tìm thấy thư mục ${folder}: hãy cắm thiết bị USB và chọn lại. / Folder ${folder} not found: plug in the USB stick and choose it again.`,
      { folder },
      { cause: error },
    );
  }
  if (!stats.isDirectory()) {
    throw new RemovableMediaError(
      'EXPORT_FOLDER_NOT_DIRECTORY',
      `${folder} không phải là thư mục. / ${folder} is not a folder.`,
      { folder },
    );
  }
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    throw notWritable(folder, error);
  }
}

function notWritable(folder: string, cause: unknown): RemovableMediaError {
  return new RemovableMediaError(
    'EXPORT_FOLDER_NOT_WRITABLE',
    `Không ghi được vào ${folder} (thiết bị chỉ đọc hoặc bị khoá). / Cannot write to ${folder} (the media is read-only or locked).`,
    { folder },
    { cause },
  );
}

/** Creates the export folder; a second export in the same second gets `-2`, `-3` ... */
async function makeExportDir(folder: string, base: string): Promise<string> {
  for (let n = 1; ; n += 1) {
    const dir = path.join(folder, n === 1 ? base : `${base}-${n}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST' && n < 100) continue;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw notWritable(folder, error);
      throw new RemovableMediaError(
        'EXPORT_WRITE_FAILED',
        `Không tạo được thư mục xuất trong ${folder}. / Cannot create the export folder in ${folder}.`,
        { folder },
        { cause: error },
      );
    }
  }
}

/** What an export folder holds: complete (manifest and every file checked) or why not. */
export type ExportCheck =
  | { readonly complete: true; readonly manifest: ExportManifest }
  | {
      readonly complete: false;
      readonly reason: 'no-manifest' | 'bad-manifest' | 'missing-packet' | 'wrong-packet';
      readonly detail: string;
    };

/**
 * Parses manifest.json (pure): the format, version, fields, and each packet's file name bound to its
 * id. Returns a reason on any deviation; never throws on input.
 */
export function parseExportManifest(
  bytes: Uint8Array,
): { ok: true; value: ExportManifest } | { ok: false; error: string } {
  if (bytes.length > EXPORT_MANIFEST_MAX_LENGTH) return { ok: false, error: 'manifest too large' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, error: 'not UTF-8 JSON (torn or not a manifest)' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, error: 'not an object' };
  const m = parsed as { [key: string]: unknown };
  if (m.format !== EXPORT_FORMAT) return { ok: false, error: `format ${String(m.format)}` };
  if (m.version !== EXPORT_VERSION) return { ok: false, error: `version ${String(m.version)}` };
  for (const field of ['stationId', 'environment', 'exportedAt'] as const)
    if (typeof m[field] !== 'string' || m[field] === '') return { ok: false, error: `${field} missing` };
  if (!Array.isArray(m.packets) || m.packets.length > EXPORT_MAX_PACKETS)
    return { ok: false, error: 'packets missing or too many' };
  const seen = new Set<string>();
  for (const item of m.packets as unknown[]) {
    const p = (typeof item === 'object' && item !== null ? item : {}) as { [key: string]: unknown };
    if (typeof p.packetId !== 'string' || !PACKET_ID.test(p.packetId) || seen.has(p.packetId))
      return { ok: false, error: 'a packet id is missing, malformed or repeated' };
    seen.add(p.packetId);
    if (p.file !== `packets/${p.packetId}.pkt`)
      return { ok: false, error: `packet ${p.packetId}: file is not packets/${p.packetId}.pkt` };
    if (typeof p.size !== 'number' || !Number.isSafeInteger(p.size) || p.size <= 0)
      return { ok: false, error: `packet ${p.packetId}: size` };
    if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256))
      return { ok: false, error: `packet ${p.packetId}: sha256` };
  }
  return { ok: true, value: parsed as ExportManifest };
}

/** Reads a regular file (not a symlink) of at most `max` bytes, or says why not. */
async function readBounded(
  file: string,
  max: number,
): Promise<{ bytes: Uint8Array } | { problem: 'missing' | 'symlink' | 'not-a-file' | 'too-large' }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ELOOP') return { problem: 'symlink' };
    if (code === 'ENOENT') return { problem: 'missing' };
    return { problem: 'not-a-file' };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { problem: 'not-a-file' };
    if (stats.size > max) return { problem: 'too-large' };
    const buffer = new Uint8Array(max + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > max) return { problem: 'too-large' };
    }
    return { bytes: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}

/**
 * Checks an export folder as central's ingest would: manifest.json present and well-formed (its
 * absence means the export was cut short), each packet file a regular file of the listed size and
 * SHA-256 (streamed, 64 KiB at a time).
 */
export async function checkExport(exportDir: string): Promise<ExportCheck> {
  const read = await readBounded(path.join(exportDir, 'manifest.json'), EXPORT_MANIFEST_MAX_LENGTH);
  if ('problem' in read) {
    return read.problem === 'missing'
      ? {
          complete: false,
          reason: 'no-manifest',
          detail: 'manifest.json is missing: the export was cut short',
        }
      : { complete: false, reason: 'bad-manifest', detail: `manifest.json: ${read.problem}` };
  }
  const parsed = parseExportManifest(read.bytes);
  if (!parsed.ok) return { complete: false, reason: 'bad-manifest', detail: parsed.error };
  for (const packet of parsed.value.packets) {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path.join(exportDir, packet.file), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return { complete: false, reason: 'missing-packet', detail: `${packet.file} cannot be opened` };
    }
    try {
      const hash = createHash('sha256');
      const chunk = new Uint8Array(65_536);
      let size = 0;
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        size += bytesRead;
        hash.update(chunk.subarray(0, bytesRead));
      }
      if (size !== packet.size || hash.digest('hex') !== packet.sha256)
        return { complete: false, reason: 'wrong-packet', detail: `${packet.file}: size or SHA-256 differ` };
    } finally {
      await handle.close();
    }
  }
  return { complete: true, manifest: parsed.value };
}

export type ImportOutcome = 'acknowledged' | 'dead-lettered' | 'already-acknowledged' | 'refused';

/** What became of one file of an import. `code` is stable; `detail` is for the log, in English. */
export interface ImportReport {
  readonly file: string;
  readonly packetId?: string;
  readonly outcome: ImportOutcome;
  /** Why refused (IMPORT_*), or central's refusal code when dead-lettered. */
  readonly code?: string;
  readonly detail?: string;
}

export interface ImportOptions {
  /** Verifies a statement against the pinned central keys for this expectation (verifyStatement). */
  readonly verify: (bytes: Uint8Array, expect: StatementExpectation) => Promise<StatementCheck>;
  /** This station's id and environment: a statement must be about them. */
  readonly stationId: string;
  readonly environment: string;
}

/**
 * Imports central's statements from `<folder>/receipts/*.jws`, or `<folder>/*.jws` when there is
 * no receipts/ folder. Each file is checked on its own and a good one applied atomically; one bad
 * file never stops the others. Refusal codes: IMPORT_BAD_NAME, IMPORT_SYMLINK, IMPORT_NOT_A_FILE,
 * IMPORT_TOO_LARGE, IMPORT_UNKNOWN_PACKET, IMPORT_STATEMENT_<PROBLEM> (MALFORMED, UNSUPPORTED,
 * UNKNOWN_KEY, BAD_SIGNATURE, WRONG_PACKET, WRONG_STATION, WRONG_ENVIRONMENT), IMPORT_WRONG_STATE,
 * IMPORT_APPLY_FAILED, IMPORT_TOO_MANY_FILES. Reports come sorted by file name.
 * @throws RemovableMediaError IMPORT_FOLDER_MISSING, IMPORT_FOLDER_NOT_DIRECTORY
 */
export async function importReceipts(
  outbox: Outbox,
  folder: string,
  options: ImportOptions,
): Promise<ImportReport[]> {
  const dir = await receiptsDir(folder);
  const names = (await readdir(dir)).filter((name) => name.toLowerCase().endsWith('.jws')).sort();
  const reports: ImportReport[] = [];
  for (const [index, name] of names.entries()) {
    if (index >= IMPORT_MAX_FILES) {
      reports.push({
        file: name,
        outcome: 'refused',
        code: 'IMPORT_TOO_MANY_FILES',
        detail: `only ${IMPORT_MAX_FILES} files are read per import; import again`,
      });
      continue;
    }
    reports.push(await importOne(outbox, dir, name, options));
  }
  return reports;
}

async function receiptsDir(folder: string): Promise<string> {
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(folder);
  } catch (error) {
    throw new RemovableMediaError(
      'IMPORT_FOLDER_MISSING',
      `Không tìm thấy thư mục ${folder}: hãy cắm thiết bị USB và chọn lại. / Folder ${folder} not found: plug in the USB stick and choose it again.`,
      { folder },
      { cause: error },
    );
  }
  const notDirectory = (what: string) =>
    new RemovableMediaError(
      'IMPORT_FOLDER_NOT_DIRECTORY',
      `${what} không phải là thư mục. / ${what} is not a folder.`,
      { folder },
    );
  if (!stats.isDirectory()) throw notDirectory(folder);
  const receipts = path.join(folder, 'receipts');
  try {
    const inner = await lstat(receipts);
    if (!inner.isDirectory()) throw notDirectory(receipts); // a symlink or a file: refused
    return receipts;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return folder;
    throw error;
  }
}

async function importOne(
  outbox: Outbox,
  dir: string,
  file: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const refused = (code: string, detail: string, packetId?: string): ImportReport =>
    packetId === undefined
      ? { file, outcome: 'refused', code, detail }
      : { file, packetId, outcome: 'refused', code, detail };
  const match = RECEIPT_FILE.exec(file);
  if (!match) return refused('IMPORT_BAD_NAME', 'the name is not <packetId>.jws');
  const packetId = match[1] as string;
  const full = path.join(dir, file);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(full);
  } catch (error) {
    return refused('IMPORT_NOT_A_FILE', `cannot be read (${errnoOf(error) ?? 'error'})`, packetId);
  }
  if (info.isSymbolicLink()) return refused('IMPORT_SYMLINK', 'a symbolic link is never followed', packetId);
  if (!info.isFile()) return refused('IMPORT_NOT_A_FILE', 'not a regular file', packetId);
  if (info.size > STATEMENT_MAX_LENGTH)
    return refused('IMPORT_TOO_LARGE', `${info.size} bytes, over ${STATEMENT_MAX_LENGTH}`, packetId);
  const read = await readBounded(full, STATEMENT_MAX_LENGTH);
  if ('problem' in read) {
    const code = {
      missing: 'IMPORT_NOT_A_FILE',
      symlink: 'IMPORT_SYMLINK',
      'not-a-file': 'IMPORT_NOT_A_FILE',
      'too-large': 'IMPORT_TOO_LARGE',
    }[read.problem];
    return refused(code, `${read.problem} when opened`, packetId);
  }
  const entry = outbox.entry(packetId);
  if (!entry) return refused('IMPORT_UNKNOWN_PACKET', 'the outbox holds no such packet', packetId);
  let check: StatementCheck;
  try {
    check = await options.verify(read.bytes, {
      packetId,
      sha256: entry.digest,
      size: entry.size,
      stationId: options.stationId,
      environment: options.environment,
    });
  } catch (error) {
    return refused('IMPORT_STATEMENT_MALFORMED', `verification failed: ${String(error)}`, packetId);
  }
  if (!check.ok) {
    return refused(
      `IMPORT_STATEMENT_${check.problem.toUpperCase().replace(/-/g, '_')}`,
      check.detail,
      packetId,
    );
  }
  const statement = check.statement;
  try {
    if (statement.kind === 'receipt') {
      if (entry.state === 'acknowledged') return { file, packetId, outcome: 'already-acknowledged' };
      if (entry.state === 'dead-letter')
        return refused(
          'IMPORT_WRONG_STATE',
          'the packet is dead-lettered: retry it, then import again',
          packetId,
        );
      await outbox.acknowledge(packetId, read.bytes);
      return { file, packetId, outcome: 'acknowledged' };
    }
    if (entry.state === 'acknowledged')
      return refused('IMPORT_WRONG_STATE', 'a refusal for a packet already acknowledged', packetId);
    await outbox.deadLetter(packetId, {
      code: statement.code,
      message: `${statement.message.vi} / ${statement.message.en}`,
    });
    return { file, packetId, outcome: 'dead-lettered', code: statement.code };
  } catch (error) {
    return refused('IMPORT_APPLY_FAILED', `storing it failed: ${String(error)}`, packetId);
  }
}
