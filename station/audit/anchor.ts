/**
 * The latest anchor central echoed (`<dataDir>/audit/anchor.json`): the `{ seq, head }` that central's
 * newest verified receipt carried, i.e. the highest point of this station's chain central has seen.
 * `station audit verify` and the trail's open require the log to still hold it.
 *
 * Written atomically (temp file, fsync, rename, folder fsync) and only upwards: a receipt that
 * echoes a lower seq than the stored one (an older receipt asked for again) leaves the file alone.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type AuditAnchor, isAuditAnchor } from '../../protocol/audit/entry.ts';
import { writeFileAtomic } from '../keys/key-file.ts';
import { AuditError } from './errors.ts';

export interface StoredAnchor extends AuditAnchor {
  /** The receipt that carried it: its packet id and central's receivedAt. */
  readonly packetId: string;
  readonly receivedAt: string;
}

export const auditDir = (dataDir: string): string => path.join(dataDir, 'audit');
export const anchorFile = (dataDir: string): string => path.join(auditDir(dataDir), 'anchor.json');

/**
 * The anchor in `file`, or undefined when there is none yet.
 * @throws {AuditError} AUDIT_ANCHOR_INVALID when the file is not an anchor; I/O errors other than ENOENT.
 */
export async function readAnchorFile(file: string): Promise<StoredAnchor | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AuditError('AUDIT_ANCHOR_INVALID', `${file} is not JSON; restore it or remove it`, {
      file,
      cause,
    });
  }
  const { seq, head, packetId, receivedAt } = (value ?? {}) as Record<string, unknown>;
  if (!isAuditAnchor({ seq, head }) || typeof packetId !== 'string' || typeof receivedAt !== 'string')
    throw new AuditError(
      'AUDIT_ANCHOR_INVALID',
      `${file} does not hold { seq, head, packetId, receivedAt }`,
      {
        file,
      },
    );
  return { seq: seq as number, head: head as string, packetId, receivedAt };
}

/** Where echoed anchors are kept; the uploader calls `record` for each verified receipt. */
export interface AnchorStore {
  /** Keeps `anchor` when its seq is above the stored one. Resolves true when it was written. */
  record(anchor: StoredAnchor): Promise<boolean>;
  read(): Promise<StoredAnchor | undefined>;
}

/**
 * The anchor file of a data folder. Writes are serialised (the uploader settles several packets at
 * once), so a lower anchor never overwrites a higher one.
 */
export function openAnchorStore(dataDir: string): AnchorStore {
  const file = anchorFile(dataDir);
  let tail: Promise<unknown> = Promise.resolve();
  return {
    read: () => readAnchorFile(file),
    record(anchor) {
      if (!isAuditAnchor({ seq: anchor.seq, head: anchor.head }))
        throw new TypeError(`not an audit anchor: ${JSON.stringify(anchor).slice(0, 200)}`);
      const run = tail.then(async () => {
        const stored = await readAnchorFile(file).catch(() => undefined);
        if (stored !== undefined && stored.seq >= anchor.seq) return false;
        const { seq, head, packetId, receivedAt } = anchor;
        await writeFileAtomic(file, `${JSON.stringify({ seq, head, packetId, receivedAt }, null, 2)}\n`, {
          overwrite: true,
        });
        return true;
      });
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
