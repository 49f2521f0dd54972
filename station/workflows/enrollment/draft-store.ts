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
 * A queued enrollment's receipt for the citizen (`<id>.receipt`, "CCCDRCPT01" ‖ IV ‖ ciphertext ‖
 * tag, the same scheme under its own magic) is kept so the officer can print it again, until the
 * service's sweep wipes it.
 *
 * Wiping deletes the file. What remains on the disk's free blocks is ciphertext under the station's
 * draft key; rotating that key (delete it when no draft is open) makes it unreadable for good.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Draft } from './machine.ts';
import { STAGES } from './machine.ts';
import { isReceiptData, type ReceiptData } from './receipt.ts';

const MAGIC = new TextEncoder().encode('CCCDDRAFT1');
/** The receipt file's magic: the same length as the draft's. */
const RECEIPT_MAGIC = new TextEncoder().encode('CCCDRCPT01');
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

  /** Encrypts and writes `draft`, replacing the previous version atomically. */
  async save(draft: Draft): Promise<void> {
    // The file's time is the draft's last change on the station's clock, so the idle sweep needs
    // no decryption (and follows the clock the service runs on).
    await this.#writeSealed(this.file(draft.id), aad(MAGIC, draft.id), serialize(draft), draft.updatedAt);
  }

  /** Writes `plain` encrypted, atomically: temp file, fsync, rename, folder fsync. */
  async #writeSealed(file: string, additional: Uint8Array, plain: Buffer, time: string): Promise<void> {
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
    return deserialize(plain, id);
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

  /** Deletes a draft (completed, abandoned or idle); a missing one is already gone. */
  async wipe(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
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

  async #files(suffix: string): Promise<DraftSummary[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: DraftSummary[] = [];
    for (const name of names) {
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

/** JSON with byte arrays as `{ "$b64": "..." }`. */
function serialize(draft: Draft): Buffer {
  return Buffer.from(
    JSON.stringify(draft, (_key, value: unknown) =>
      value instanceof Uint8Array ? { $b64: Buffer.from(value).toString('base64') } : value,
    ),
    'utf8',
  );
}

function deserialize(plain: Buffer, id: string): Draft {
  let value: unknown;
  try {
    value = JSON.parse(plain.toString('utf8'), (_key, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        const b64 = (v as { $b64?: unknown }).$b64;
        if (keys.length === 1 && typeof b64 === 'string') return new Uint8Array(Buffer.from(b64, 'base64'));
      }
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
