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
 * The 32-byte key in `file`, created (mode 0600) when it does not exist.
 * @throws {KeyError} KEY_FILE_PERMISSIONS (group or others can read it), KEY_FILE_UNREADABLE (not a
 *   regular file, or not 32 bytes: a truncated key is refused, never padded).
 */
export async function loadOrCreateSymmetricKey(
  file: string,
  what = 'station secret key',
): Promise<Uint8Array> {
  try {
    return check(await readSecretFile(file, what), file, what);
  } catch (error) {
    if (
      !(error instanceof KeyError) ||
      error.code !== 'KEY_FILE_UNREADABLE' ||
      !/does not exist/.test(error.message)
    )
      throw error;
  }
  try {
    await writeFileAtomic(file, randomBytes(SYMMETRIC_KEY_BYTES));
  } catch (error) {
    if (!(error instanceof KeyError) || error.code !== 'KEY_EXISTS') throw error;
  }
  return check(await readSecretFile(file, what), file, what);
}

function check(key: Uint8Array, file: string, what: string): Uint8Array {
  if (key.length !== SYMMETRIC_KEY_BYTES)
    throw new KeyError(
      'KEY_FILE_UNREADABLE',
      `The ${what} ${file} holds ${key.length} bytes, not ${SYMMETRIC_KEY_BYTES}; it is damaged. Restore it from the station's backup (without it, what it encrypted cannot be read).`,
      { file },
    );
  return key;
}
