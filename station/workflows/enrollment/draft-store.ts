/**
 * Enrollment drafts on disk, only encrypted: a browser refresh or a station restart resumes the
 * enrollment where it was, and nothing personal lies on the disk in the clear.
 *
 * File: `<dir>/<session id>.draft`, mode 0600, written atomically (temp file, fsync, rename, folder
 * fsync), so a power cut leaves the old draft or the new one, never half of one.
 *
 *   "CCCDDRAFT1" (10 bytes) ‖ IV (12 random bytes) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)
 *
 * The additional authenticated data is the magic and the session id, so a draft file renamed to
 * another session's name is refused like an edited one. The key (32 bytes) is the station's draft
 * key in its key store (`<dataDir>/keys/draft.key`, owner-only, created on first use). Losing it
 * loses the open drafts, never a queued packet.
 *
 * The images (slaps, fingers, portrait: every byte array of 4 KiB or more) are kept beside the
 * draft, each once, in `<id>.<sha-256>.blob` ("CCCDBLOB01" ‖ IV ‖ ciphertext ‖ tag, the additional
 * data binding the session id and the digest), and the draft holds `{ "$blob": digest }` in their
 * place. A step after the captures then rewrites a few kilobytes instead of a megabyte of images
 * (its fsync is most of a step's time), and an image is written once, when it is captured. A blob
 * is checked against its digest when the draft loads: a changed, swapped or missing one refuses
 * the draft like an edited draft file. Blobs no draft version refers to any more (a recapture's
 * replaced image) are deleted at the next save; wiping a draft deletes its blobs.
 *
 * A queued enrollment's receipt for the citizen (`<id>.receipt`, "CCCDRCPT01" ‖ IV ‖ ciphertext ‖
 * tag, the same scheme under its own magic) is kept so the officer can print it again, until the
 * service's sweep wipes it.
 *
 * Wiping deletes the file. What remains on the disk's free blocks is ciphertext under the station's
 * draft key; rotating that key (delete it when no draft is open) makes it unreadable for good.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Draft } from './machine.ts';
import { STAGES } from './machine.ts';
import { isReceiptData, type ReceiptData } from './receipt.ts';

const MAGIC = new TextEncoder().encode('CCCDDRAFT1');
/** The receipt file's magic: the same length as the draft's. */
const RECEIPT_MAGIC = new TextEncoder().encode('CCCDRCPT01');
/** An image blob's magic: the same length as the draft's. */
const BLOB_MAGIC = new TextEncoder().encode('CCCDBLOB01');
/** Byte arrays this long or longer are kept as blobs beside the draft. */
const BLOB_MIN_BYTES = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Largest draft file read (three slaps, ten fingers and a portrait are about 1 MB). */
export const MAX_DRAFT_BYTES = 32 * 1024 * 1024;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type DraftErrorCode =
  | 'DRAFT_NOT_FOUND'
  | 'DRAFT_TAMPERED'
  | 'DRAFT_INVALID'
  | 'DRAFT_TOO_LARGE'
  | 'RECEIPT_NOT_FOUND';

export class DraftError extends Error {
  override readonly name = 'DraftError';
  constructor(
    readonly code: DraftErrorCode,
    message: string,
    readonly id: string,
  ) {
    super(message);
  }
}

/** What remains of a queued or abandoned enrollment. */
export interface ClosedDraft {
  readonly id: string;
  readonly packetId: string;
  readonly stage: 'queued' | 'abandoned';
  readonly version: number;
  readonly at: string;
  /** The last step: the version it was sent at, its request digest and its answer. */
  readonly last: { readonly version: number; readonly digest: string; readonly outcome: unknown };
}

export interface DraftSummary {
  readonly id: string;
  /** Last change, ms since the epoch (the file's modification time). */
  readonly updatedAtMs: number;
}

export class DraftStore {
  constructor(
    private readonly dir: string,
    private readonly key: Uint8Array,
  ) {
    if (key.length !== 32) throw new RangeError('the draft key is 32 bytes');
  }

  private file(id: string): string {
    if (!ID.test(id)) throw new DraftError('DRAFT_NOT_FOUND', `'${id}' is not an enrollment session id`, id);
    return path.join(this.dir, `${id}.draft`);
  }

  /** The blobs each draft's last save referred to (in memory: a restart's first save lists them). */
  readonly #blobsOf = new Map<string, ReadonlySet<string>>();

  private blobFile(id: string, sha: string): string {
    return path.join(this.dir, `${id}.${sha}.blob`);
  }

  /**
   * Encrypts and writes `draft`, replacing the previous version atomically; its new images are
   * written first (each once), and images it no longer refers to are deleted after.
   */
  async save(draft: Draft): Promise<void> {
    const file = this.file(draft.id);
    const blobs = new Map<string, Uint8Array>();
    const plain = serialize(draft, blobs);
    const before = this.#blobsOf.get(draft.id) ?? new Set(await this.#blobsOnDisk(draft.id));
    for (const [sha, bytes] of blobs)
      if (!before.has(sha))
        // The draft's own folder fsync (below) makes these renames durable too.
        await this.#writeSealed(
          this.blobFile(draft.id, sha),
          blobAad(draft.id, sha),
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          draft.updatedAt,
          { syncFolder: false },
        );
    // The file's time is the draft's last change on the station's clock, so the idle sweep needs
    // no decryption (and follows the clock the service runs on).
    await this.#writeSealed(file, aad(MAGIC, draft.id), plain, draft.updatedAt);
    const now = new Set(blobs.keys());
    this.#blobsOf.set(draft.id, now);
    for (const sha of before) if (!now.has(sha)) await fs.rm(this.blobFile(draft.id, sha), { force: true });
  }

  /** The digests of a draft's blobs on disk. */
  async #blobsOnDisk(id: string): Promise<string[]> {
    const prefix = `${id}.`;
    return (await this.#names())
      .filter((name) => name.startsWith(prefix) && name.endsWith('.blob'))
      .map((name) => name.slice(prefix.length, -'.blob'.length))
      .filter((sha) => SHA256_HEX.test(sha));
  }

  /**
   * Writes `plain` encrypted, atomically: temp file, fsync, rename, folder fsync (left to the
   * caller's next write in the same folder with `syncFolder: false`).
   */
  async #writeSealed(
    file: string,
    additional: Uint8Array,
    plain: Buffer,
    time: string,
    options: { readonly syncFolder?: boolean } = {},
  ): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(additional);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const magic = additional.subarray(0, MAGIC.length);
    const content = Buffer.concat([magic, iv, body, cipher.getAuthTag()]);
    const temp = path.join(this.dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(content);
      const updated = new Date(time);
      if (!Number.isNaN(updated.getTime())) await handle.utimes(updated, updated);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
    if (options.syncFolder === false) return;
    const dirHandle = await fs.open(this.dir, constants.O_RDONLY);
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  /**
   * Reads and decrypts a sealed file; undefined when it does not exist.
   * @throws {DraftError} DRAFT_TOO_LARGE; DRAFT_TAMPERED when it fails its integrity check.
   */
  async #readSealed(
    file: string,
    additional: Uint8Array,
    id: string,
    what: string,
  ): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      const stat = await fs.stat(file);
      if (stat.size > MAX_DRAFT_BYTES)
        throw new DraftError(
          'DRAFT_TOO_LARGE',
          `${what} ${id} is ${stat.size} bytes; at most ${MAX_DRAFT_BYTES}`,
          id,
        );
      bytes = await fs.readFile(file);
    } catch (error) {
      if (error instanceof DraftError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const magic = additional.subarray(0, MAGIC.length);
    const minimum = magic.length + IV_BYTES + TAG_BYTES;
    if (bytes.length < minimum || !bytes.subarray(0, magic.length).equals(magic))
      throw new DraftError('DRAFT_TAMPERED', `${what} ${id} is not a ${what} file of this station`, id);
    const iv = bytes.subarray(magic.length, magic.length + IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const body = bytes.subarray(magic.length + IV_BYTES, bytes.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(additional);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new DraftError(
        'DRAFT_TAMPERED',
        `${what} ${id} fails its integrity check: it was changed, truncated, or written under another key or for another session; it is not loaded`,
        id,
      );
    }
  }

  /**
   * Reads and decrypts a draft.
   * @throws {DraftError} DRAFT_NOT_FOUND; DRAFT_TAMPERED when the file was changed, truncated or
   *   encrypted under another key or for another session; DRAFT_INVALID when it decrypts to
   *   something that is not a draft (it is refused whole, never half-loaded); DRAFT_TOO_LARGE.
   */
  async load(id: string): Promise<Draft> {
    const plain = await this.#readSealed(this.file(id), aad(MAGIC, id), id, 'draft');
    if (plain === undefined) throw new DraftError('DRAFT_NOT_FOUND', `no enrollment draft ${id}`, id);
    const blobs = new Map<string, Uint8Array>();
    for (const sha of blobsNamed(plain, id)) {
      const bytes = await this.#readSealed(this.blobFile(id, sha), blobAad(id, sha), id, 'draft image');
      if (bytes === undefined || createHash('sha256').update(bytes).digest('hex') !== sha)
        throw new DraftError(
          'DRAFT_TAMPERED',
          `draft ${id} refers to an image (${sha.slice(0, 12)}…) that is missing or not the one it was; the draft is not loaded`,
          id,
        );
      blobs.set(sha, new Uint8Array(bytes));
    }
    return deserialize(plain, id, blobs);
  }

  /**
   * Keeps the citizen's receipt of a queued enrollment, encrypted like a draft (it names the
   * citizen), so the officer can print it again until `sweepReceipts` wipes it.
   */
  async saveReceipt(receipt: ReceiptData): Promise<void> {
    const id = receipt.enrollmentId;
    this.file(id);
    await this.#writeSealed(
      path.join(this.dir, `${id}.receipt`),
      aad(RECEIPT_MAGIC, id),
      Buffer.from(JSON.stringify(receipt), 'utf8'),
      receipt.submittedAt,
    );
  }

  /**
   * The receipt of a queued enrollment, or undefined once wiped (or never made).
   * @throws {DraftError} DRAFT_TAMPERED, DRAFT_INVALID.
   */
  async receipt(id: string): Promise<ReceiptData | undefined> {
    this.file(id);
    const plain = await this.#readSealed(
      path.join(this.dir, `${id}.receipt`),
      aad(RECEIPT_MAGIC, id),
      id,
      'receipt',
    );
    if (plain === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(plain.toString('utf8'));
    } catch {
      value = undefined;
    }
    if (!isReceiptData(value) || value.enrollmentId !== id)
      throw new DraftError('DRAFT_INVALID', `receipt ${id} is not a receipt of format 1`, id);
    return value;
  }

  /** Wipes receipts made before `beforeMs` (ms since the epoch); returns their enrollment ids. */
  async sweepReceipts(beforeMs: number): Promise<string[]> {
    const wiped: string[] = [];
    for (const { id, updatedAtMs } of await this.#files('.receipt'))
      if (updatedAtMs < beforeMs) {
        await fs.rm(path.join(this.dir, `${id}.receipt`), { force: true });
        wiped.push(id);
      }
    return wiped;
  }

  /** Deletes a draft (completed, abandoned or idle) with its images; a missing one is already gone. */
  async wipe(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
    for (const sha of await this.#blobsOnDisk(id)) await fs.rm(this.blobFile(id, sha), { force: true });
    this.#blobsOf.delete(id);
  }

  /**
   * Ends a draft: writes its closing record (no personal data: the stage, version, packet id and
   * the last step's outcome, so a replayed last step is answered and a late request is told the
   * enrollment is closed), then deletes the draft.
   */
  async close(id: string, record: ClosedDraft): Promise<void> {
    this.file(id);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = path.join(this.dir, `${id}.closed.json`);
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(temp, JSON.stringify(record), { mode: 0o600 });
    await fs.rename(temp, target);
    await this.wipe(id);
  }

  /** The closing record of an ended draft, or undefined. */
  async closed(id: string): Promise<ClosedDraft | undefined> {
    this.file(id);
    try {
      const text = await fs.readFile(path.join(this.dir, `${id}.closed.json`), 'utf8');
      if (text.length > 64 * 1024) return undefined;
      return JSON.parse(text) as ClosedDraft;
    } catch {
      return undefined;
    }
  }

  /** The drafts on disk with their last change. */
  list(): Promise<DraftSummary[]> {
    return this.#files('.draft');
  }

  /** The names in the drafts' folder (none before the first draft made it). */
  async #names(): Promise<string[]> {
    try {
      return await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async #files(suffix: string): Promise<DraftSummary[]> {
    const out: DraftSummary[] = [];
    for (const name of await this.#names()) {
      const id = name.endsWith(suffix) ? name.slice(0, -suffix.length) : '';
      if (!ID.test(id)) continue;
      try {
        out.push({ id, updatedAtMs: (await fs.stat(path.join(this.dir, name))).mtimeMs });
      } catch {
        // Wiped meanwhile.
      }
    }
    return out;
  }
}

function aad(magic: Uint8Array, id: string): Buffer {
  return Buffer.concat([magic, Buffer.from(id, 'ascii')]);
}

function blobAad(id: string, sha: string): Buffer {
  return Buffer.concat([BLOB_MAGIC, Buffer.from(`${id}.${sha}`, 'ascii')]);
}

/**
 * JSON with small byte arrays as `{ "$b64": "..." }` and large ones as `{ "$blob": sha-256 hex }`,
 * their bytes put in `blobs`.
 */
function serialize(draft: Draft, blobs: Map<string, Uint8Array>): Buffer {
  return Buffer.from(
    JSON.stringify(draft, (_key, value: unknown) => {
      if (!(value instanceof Uint8Array)) return value;
      if (value.length < BLOB_MIN_BYTES) return { $b64: Buffer.from(value).toString('base64') };
      const sha = createHash('sha256').update(value).digest('hex');
      blobs.set(sha, value);
      return { $blob: sha };
    }),
    'utf8',
  );
}

/** The object `v` is `{ $b64 }` or `{ $blob }` alone: its one key's value, else undefined. */
function bytesMarker(v: unknown, key: '$b64' | '$blob'): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const value = (v as Record<string, unknown>)[key];
  return typeof value === 'string' && Object.keys(v).length === 1 ? value : undefined;
}

/** The blob digests a decrypted draft refers to. */
function blobsNamed(plain: Buffer, id: string): Set<string> {
  const named = new Set<string>();
  try {
    JSON.parse(plain.toString('utf8'), (_key, v: unknown) => {
      const sha = bytesMarker(v, '$blob');
      if (sha !== undefined) {
        if (!SHA256_HEX.test(sha)) throw new Error('bad digest');
        named.add(sha);
      }
      return v;
    });
  } catch {
    throw new DraftError('DRAFT_INVALID', `draft ${id} decrypts to text that is not a draft's JSON`, id);
  }
  return named;
}

function deserialize(plain: Buffer, id: string, blobs: ReadonlyMap<string, Uint8Array>): Draft {
  let value: unknown;
  try {
    value = JSON.parse(plain.toString('utf8'), (_key, v: unknown) => {
      const b64 = bytesMarker(v, '$b64');
      if (b64 !== undefined) return new Uint8Array(Buffer.from(b64, 'base64'));
      const sha = bytesMarker(v, '$blob');
      if (sha !== undefined) return blobs.get(sha) ?? v;
      return v;
    });
  } catch {
    throw new DraftError('DRAFT_INVALID', `draft ${id} decrypts to text that is not JSON`, id);
  }
  const draft = value as Partial<Draft> | null;
  if (
    draft === null ||
    typeof draft !== 'object' ||
    draft.format !== 1 ||
    draft.id !== id ||
    typeof draft.version !== 'number' ||
    !(STAGES as readonly string[]).includes(draft.stage ?? '') ||
    typeof draft.officerId !== 'string' ||
    typeof draft.packetId !== 'string' ||
    draft.slaps === null ||
    typeof draft.slaps !== 'object' ||
    !Array.isArray(draft.exceptions) ||
    !Array.isArray(draft.applied)
  )
    throw new DraftError('DRAFT_INVALID', `draft ${id} is not an enrollment draft of format 1`, id);
  return draft as Draft;
}
