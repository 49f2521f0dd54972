/**
 * e-ID registrations on disk, only encrypted, so a browser refresh or a station restart resumes a
 * registration where it was (as enrollment drafts do: station/workflows/enrollment/draft-store.ts).
 *
 * File: `<dir>/<registration id>.eid`, mode 0600, written atomically (temp file, fsync, rename,
 * folder fsync):
 *
 *   "CCCDEID1" (8 bytes) ‖ IV (12 random bytes) ‖ AES-256-GCM(JSON) ‖ tag (16 bytes)
 *
 * with the magic and the registration id as additional data, so an edited, truncated, renamed or
 * foreign-key file is refused whole (EID_TAMPERED), never half-loaded. The JSON holds the
 * registration (machine.ts) and what later steps need: the chip's access key, the chip portrait,
 * EF.SOD and the live frame. The key is the station's e-ID key (`<dataDir>/keys/eid.key`, 32
 * bytes, owner-only, created on first use). Wiping deletes the file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { CardKeyInput } from '../verification/workflow.ts';
import { EID_STAGES, type Registration } from './machine.ts';

const MAGIC = Buffer.from('CCCDEID1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Largest registration file read (a live frame and a chip portrait are well under 1 MB). */
export const MAX_EID_FILE_BYTES = 16 * 1024 * 1024;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A registration with the bytes its later steps need. */
export interface StoredRegistration {
  readonly registration: Registration;
  readonly key?: CardKeyInput;
  readonly chip?: { readonly portrait: Uint8Array | undefined; readonly sod: Uint8Array };
  readonly live?: Uint8Array;
}

export type EidStoreErrorCode = 'EID_TAMPERED' | 'EID_INVALID' | 'EID_TOO_LARGE';

export class EidStoreError extends Error {
  override readonly name = 'EidStoreError';
  readonly code: EidStoreErrorCode;
  readonly id: string;
  constructor(code: EidStoreErrorCode, message: string, id: string) {
    super(message);
    this.code = code;
    this.id = id;
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const bytesOf = (text: unknown): Uint8Array | undefined =>
  typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'base64')) : undefined;

export class EidStore {
  readonly #dir: string;
  readonly #key: Uint8Array;

  constructor(dir: string, key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('the e-ID key is 32 bytes');
    this.#dir = dir;
    this.#key = key;
  }

  #file(id: string): string | undefined {
    return ID.test(id) ? path.join(this.#dir, `${id}.eid`) : undefined;
  }

  /** Encrypts and writes `stored`, replacing the previous version atomically. */
  async save(stored: StoredRegistration): Promise<void> {
    const id = stored.registration.id;
    const file = this.#file(id);
    if (file === undefined) throw new RangeError(`'${id}' is not a registration id`);
    const plain = Buffer.from(
      JSON.stringify({
        format: 1,
        registration: stored.registration,
        ...(stored.key === undefined ? {} : { key: stored.key }),
        ...(stored.chip === undefined
          ? {}
          : {
              chip: {
                ...(stored.chip.portrait === undefined ? {} : { portrait: b64(stored.chip.portrait) }),
                sod: b64(stored.chip.sod),
              },
            }),
        ...(stored.live === undefined ? {} : { live: b64(stored.live) }),
      }),
      'utf8',
    );
    await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aad(id));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    const temp = path.join(this.#dir, `.${id}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(Buffer.concat([MAGIC, iv, body, cipher.getAuthTag()]));
      // The file's time is the registration's last change on the station's clock: the idle sweep
      // needs no decryption.
      const updated = new Date(stored.registration.updatedAt);
      if (!Number.isNaN(updated.getTime())) await handle.utimes(updated, updated);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
    const dir = await fs.open(this.#dir, constants.O_RDONLY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * The registration `id`, or undefined when there is none.
   * @throws {EidStoreError} EID_TAMPERED when the file was changed, truncated, renamed or written
   *   under another key; EID_INVALID when it decrypts to something else; EID_TOO_LARGE.
   */
  async load(id: string): Promise<StoredRegistration | undefined> {
    const file = this.#file(id);
    if (file === undefined) return undefined;
    let bytes: Buffer;
    try {
      const stat = await fs.stat(file);
      if (stat.size > MAX_EID_FILE_BYTES)
        throw new EidStoreError('EID_TOO_LARGE', `registration ${id} is ${stat.size} bytes`, id);
      bytes = await fs.readFile(file);
    } catch (error) {
      if (error instanceof EidStoreError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (bytes.length < MAGIC.length + IV_BYTES + TAG_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
      throw new EidStoreError(
        'EID_TAMPERED',
        `registration ${id} is not a registration file of this station`,
        id,
      );
    let plain: Buffer;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.#key,
        bytes.subarray(MAGIC.length, MAGIC.length + IV_BYTES),
      );
      decipher.setAAD(aad(id));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plain = Buffer.concat([
        decipher.update(bytes.subarray(MAGIC.length + IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new EidStoreError(
        'EID_TAMPERED',
        `registration ${id} fails its integrity check (changed, truncated, renamed or under another key); it is not loaded`,
        id,
      );
    }
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new EidStoreError('EID_INVALID', `registration ${id} is not JSON`, id);
    } finally {
      plain.fill(0);
    }
    const registration = value.registration as Registration | undefined;
    if (
      value.format !== 1 ||
      registration === undefined ||
      registration.id !== id ||
      !(EID_STAGES as readonly string[]).includes(registration.stage) ||
      !Number.isInteger(registration.version)
    )
      throw new EidStoreError('EID_INVALID', `registration ${id} is not a registration of format 1`, id);
    const chip = value.chip as { portrait?: unknown; sod?: unknown } | undefined;
    const sod = bytesOf(chip?.sod);
    const portrait = bytesOf(chip?.portrait);
    const live = bytesOf(value.live);
    return {
      registration,
      ...(value.key === undefined ? {} : { key: value.key as CardKeyInput }),
      ...(sod === undefined ? {} : { chip: { portrait, sod } }),
      ...(live === undefined ? {} : { live }),
    };
  }

  /** Deletes a registration's file; a missing one is already gone. */
  async wipe(id: string): Promise<void> {
    const file = this.#file(id);
    if (file !== undefined) await fs.rm(file, { force: true });
  }

  /** The registrations on disk with their last change (ms since the epoch, the file's time). */
  async list(): Promise<{ readonly id: string; readonly updatedAtMs: number }[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: { id: string; updatedAtMs: number }[] = [];
    for (const name of names) {
      const id = name.endsWith('.eid') ? name.slice(0, -4) : '';
      if (!ID.test(id)) continue;
      try {
        out.push({ id, updatedAtMs: (await fs.stat(path.join(this.#dir, name))).mtimeMs });
      } catch {
        // Wiped meanwhile.
      }
    }
    return out;
  }
}

function aad(id: string): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(id, 'ascii')]);
}
