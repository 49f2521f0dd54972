/**
 * Verifying an audit log from its file (`station audit verify`, and tests): the chain walk of
 * protocol/audit with the stored anchor, and the checkpoint signatures against the station's
 * certificates (the key store's current one and its history, or files given).
 */
import { createHash, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { checkpointOf, checkpointSigningInput } from '../../protocol/audit/checkpoint.ts';
import type { AuditAnchor } from '../../protocol/audit/entry.ts';
import { type ChainBreak, type ChainVerification, verifyChain } from '../../protocol/audit/verify.ts';
import { readCertificateFile } from '../keys/certificate.ts';
import { readAnchorFile } from './anchor.ts';
import { nodeSha256, readMarkFile } from './trail.ts';

/** The station certificates of a key store folder: station.crt and history/*.crt (DER each). */
export async function storeCertificates(keyStore: string): Promise<Uint8Array[]> {
  const files = [path.join(keyStore, 'station.crt')];
  const history = path.join(keyStore, 'history');
  for (const name of await fs.readdir(history).catch(() => [] as string[]))
    if (name.endsWith('.crt')) files.push(path.join(history, name));
  const out: Uint8Array[] = [];
  for (const file of files) out.push(...(await readCertificateFile(file).catch(() => [])));
  return out;
}

export interface AuditLogVerification {
  readonly chain: ChainVerification;
  /** Signed checkpoints whose signature was checked against a certificate (the others: none given). */
  readonly signaturesChecked: number;
  /** Signed checkpoints naming a certificate not among those given (not checked, not a break). */
  readonly signaturesUnchecked: number;
}

/**
 * Verifies the log in `file` (ENOENT: an empty chain) with `anchor` when given; a signed
 * checkpoint is checked against the certificate it names when that is among `certificates`, and a
 * wrong signature is a `bad-checkpoint` break.
 * @throws {TypeError} for a certificate that does not parse; I/O errors other than a missing file.
 */
export async function verifyAuditLogFile(
  file: string,
  options: { readonly anchor?: AuditAnchor | undefined; readonly certificates?: readonly Uint8Array[] } = {},
): Promise<AuditLogVerification> {
  const keys = new Map<string, KeyObject>();
  for (const der of options.certificates ?? [])
    keys.set(createHash('sha256').update(der).digest('hex'), new X509Certificate(Buffer.from(der)).publicKey);
  let checked = 0;
  let unchecked = 0;
  const run = (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) =>
    verifyChain(source, {
      sha256: nodeSha256,
      ...(options.anchor === undefined ? {} : { anchor: options.anchor }),
      onEntry(entry) {
        const checkpoint = checkpointOf(entry);
        if (checkpoint === undefined || typeof checkpoint === 'string' || !checkpoint.signed)
          return undefined;
        const key = keys.get(checkpoint.certificateSha256);
        if (key === undefined) {
          unchecked += 1;
          return undefined;
        }
        const good = verify(
          'sha256',
          checkpointSigningInput(checkpoint),
          { key, dsaEncoding: 'der' },
          Buffer.from(checkpoint.signature, 'base64'),
        );
        checked += 1;
        return good ? undefined : `checkpoint of seq ${checkpoint.seq}: the signature does not verify`;
      },
    });
  let chain: ChainVerification;
  try {
    chain = await run(createReadStream(file, { highWaterMark: 64 * 1024 }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    chain = await run([]);
  }
  return { chain, signaturesChecked: checked, signaturesUnchecked: unchecked };
}

/** What `POST /audit/verify` answers: `station audit verify`'s checks on the station's own log. */
export interface StationAuditReport {
  /** The chain, the checkpoint signatures, central's anchor and the station's own mark all hold. */
  readonly intact: boolean;
  /** Entries in the verified chain (its head's seq). */
  readonly entries: number;
  readonly head: AuditAnchor;
  /** Central's latest echoed anchor and whether the log still holds it; null before any receipt. */
  readonly anchor: { readonly seq: number; readonly head: string; readonly held: boolean } | null;
  readonly checkpoints: {
    readonly signed: number;
    readonly unsigned: number;
    readonly signaturesChecked: number;
    readonly signaturesUnchecked: number;
  };
  /** The station's own verified mark and whether the log still reaches it. */
  readonly verifiedMark: { readonly seq: number; readonly held: boolean } | null;
  /** The first break (line, kind, detail), when the chain does not hold. */
  readonly break?: ChainBreak;
  /** A torn last line (a power cut mid-append): reported, not a break. */
  readonly tornTail?: { readonly line: number; readonly length: number };
}

/**
 * Verifies the audit log of the data folder `dataDir` as `station audit verify` does with its
 * defaults: the hash chain, signed checkpoints against the key store's certificates, the anchor
 * central echoed (`anchor.json`), and the station's verified mark (`verified.json`).
 * @throws I/O errors other than a missing log; {TypeError} for a key-store certificate that does not parse.
 */
export async function verifyStationAudit(dataDir: string): Promise<StationAuditReport> {
  const dir = path.join(dataDir, 'audit');
  const anchor = await readAnchorFile(path.join(dir, 'anchor.json'));
  const certificates = await storeCertificates(path.join(dataDir, 'keys'));
  const { chain, signaturesChecked, signaturesUnchecked } = await verifyAuditLogFile(
    path.join(dir, 'audit.log'),
    { anchor, certificates },
  );
  const mark = await readMarkFile(path.join(dir, 'verified.json'));
  const markHeld = mark === undefined || !chain.ok || chain.head.seq >= mark.seq;
  return {
    intact: chain.ok && markHeld,
    entries: chain.head.seq,
    head: chain.head,
    anchor:
      anchor === undefined
        ? null
        : { seq: anchor.seq, head: anchor.head, held: chain.ok && chain.anchorHeld },
    checkpoints: { ...chain.checkpoints, signaturesChecked, signaturesUnchecked },
    verifiedMark: mark === undefined ? null : { seq: mark.seq, held: markHeld },
    ...(chain.ok ? {} : { break: chain.break }),
    ...(chain.tornTail === undefined
      ? {}
      : { tornTail: { line: chain.tornTail.line, length: chain.tornTail.length } }),
  };
}
