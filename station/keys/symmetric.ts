/**
 * The station's symmetric secrets (the enrollment drafts' encryption key, and the like): 32 random
 * bytes in an owner-only file of the key store, created on first use.
 *
 * Two processes may race to create the file (the station and a CLI command): the creation uses
 * link(), which fails when the file appeared meanwhile, and the loser reads the winner's key, so
 * both end with the same key.
 */
import { randomBytes } from 'node:crypto';
import { KeyError } from './errors.ts';
import { readSecretFile, writeFileAtomic } from './key-file.ts';

export const SYMMETRIC_KEY_BYTES = 32;

/**
 * The secret in `file`, created with `bytes` random bytes (mode 0600) when the file does not exist.
 * Returns what the file holds, whatever its length: the caller checks the length it needs.
 * @throws {KeyError} KEY_FILE_PERMISSIONS (group or others can read it), KEY_FILE_UNREADABLE (not a
 *   regular file, unreadable).
 */
export async function readOrCreateSecret(file: string, what: string, bytes: number): Promise<Uint8Array> {
  try {
    return await readSecretFile(file, what);
  } catch (error) {
    if (!(error instanceof KeyError) || error.code !== 'KEY_FILE_UNREADABLE') throw error;
    if ((error.cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw error;
  }
  try {
    await writeFileAtomic(file, new Uint8Array(randomBytes(bytes)), { overwrite: false });
  } catch (error) {
    // Another opener created it meanwhile: use theirs.
    if (!(error instanceof KeyError) || error.code !== 'KEY_EXISTS') throw error;
  }
  return readSecretFile(file, what);
}

/**
 * The 32-byte key in `file`, created (mode 0600) when it does not exist.
 * @throws {KeyError} KEY_FILE_PERMISSIONS (group or others can read it), KEY_FILE_UNREADABLE (not a
 *   regular file, or not 32 bytes: a truncated key is refused, never padded).
 */
export async function loadOrCreateSymmetricKey(
  file: string,
  what = 'station secret key',
): Promise<Uint8Array> {
  const key = await readOrCreateSecret(file, what, SYMMETRIC_KEY_BYTES);
  if (key.length !== SYMMETRIC_KEY_BYTES)
    throw new KeyError(
      'KEY_FILE_UNREADABLE',
      `The ${what} ${file} holds ${key.length} bytes, not ${SYMMETRIC_KEY_BYTES}; it is damaged. Restore it from the station's backup (without it, what it encrypted cannot be read).`,
      { file },
    );
  return key;
}
