/**
 * Keyed pseudonyms for the audit trail: HMAC-SHA-256 under the station's audit key
 * (`<dataDir>/keys/audit-hmac.key`, 32 random bytes, mode 0600, created on first use) of
 * protocol/audit's `pseudonymInput(kind, value)`. Stable per key (an auditor at the station can find
 * every entry about one citizen) and unlinkable without it: a plain SHA-256 of a 12-digit citizen id
 * is undone by hashing all 10^12 candidates, which takes hours on one GPU.
 *
 * Losing the key does not break the chain (entries keep their hashes); it only stops new
 * pseudonyms from matching old ones. It is not backed up with the log on purpose: a copy of the
 * log alone must not be searchable by citizen id.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { pseudonymInput, type SubjectKind } from '../../protocol/audit/entry.ts';
import { keyStoreDir } from '../keys/store.ts';
import { readOrCreateSecret } from '../keys/symmetric.ts';
import { AuditError } from './errors.ts';

export const AUDIT_KEY_BYTES = 32;
export const auditKeyFile = (dataDir: string): string => path.join(keyStoreDir(dataDir), 'audit-hmac.key');

export type Pseudonymise = (kind: Exclude<SubjectKind, 'officer'>, value: string) => string;

/** The pseudonym function of `key` (lowercase hex HMAC-SHA-256). */
export function pseudonymiser(key: Uint8Array): Pseudonymise {
  if (key.length !== AUDIT_KEY_BYTES)
    throw new RangeError(`the audit key is ${AUDIT_KEY_BYTES} bytes, not ${key.length}`);
  const copy = Uint8Array.from(key);
  return (kind, value) => createHmac('sha256', copy).update(pseudonymInput(kind, value)).digest('hex');
}

/**
 * Reads the audit key of a data folder, creating it (32 bytes from the CSPRNG, 0600, atomically)
 * when it does not exist.
 * @throws {KeyError} KEY_FILE_PERMISSIONS when the file is readable by group or others;
 *   KEY_FILE_UNREADABLE for I/O failures. {AuditError} AUDIT_KEY_INVALID when it is not 32 bytes.
 */
export async function openAuditKey(dataDir: string): Promise<Uint8Array> {
  const file = auditKeyFile(dataDir);
  const key = await readOrCreateSecret(file, 'audit key', AUDIT_KEY_BYTES);
  if (key.length !== AUDIT_KEY_BYTES)
    throw new AuditError(
      'AUDIT_KEY_INVALID',
      `The audit key ${file} is ${key.length} bytes, not ${AUDIT_KEY_BYTES}: restore it from the station's key backup`,
      { file },
    );
  return key;
}
