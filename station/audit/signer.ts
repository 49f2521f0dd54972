/**
 * The checkpoint signer of a data folder: the station key and certificate of its key store
 * (station/keys `openStoreSigner`), or undefined while no certificate is installed, in which case
 * the trail writes unsigned checkpoints that say so (`no-station-certificate`).
 */
import type { PacketSigner } from '../../protocol/packet/keys.ts';
import { KeyError } from '../keys/errors.ts';
import type { OpenKeyOptions } from '../keys/station-key.ts';
import { keyStoreDir, openStoreSigner } from '../keys/store.ts';

/**
 * @returns the store's signer (close it when the trail is closed: a token session), or undefined
 *   when no certificate is installed.
 * @throws {KeyError} for any other key store failure (key unreadable, token absent, PIN wrong,
 *   certificate not the key's): the station should say so rather than sign nothing silently.
 */
export async function openCheckpointSigner(
  dataDir: string,
  options: OpenKeyOptions = {},
): Promise<(PacketSigner & { close(): Promise<void> }) | undefined> {
  try {
    return await openStoreSigner(keyStoreDir(dataDir), options);
  } catch (error) {
    if (error instanceof KeyError && error.code === 'KEY_NOT_INSTALLED') return undefined;
    throw error;
  }
}
