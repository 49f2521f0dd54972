/**
 * Removable-media ingest (issue 18): a station's export folder, carried to central, is committed
 * packet by packet exactly as uploads would be (intake.ts), and each statement is written back to
 * `<folder>/receipts/<packetId>.jws` for the station to import.
 *
 *   manifest.json   { format: "cccd-outbox-export", version: 1, stationId, environment, exportedAt,
 *                     packets: [{ packetId, file, size, sha256 }] }
 *   packets/<packetId>.pkt
 *   SHA256SUMS      "<hex>  packets/<packetId>.pkt" lines (sha256sum format)
 *
 * With no TLS connection, the station is the CN of each packet's signer certificate, which must be
 * registered (else the packet is refused `CENTRAL_SIGNER_UNTRUSTED`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PACKET_LIMITS } from '../../protocol/packet/open.ts';
import type { Intake } from './intake.ts';
import { writeAtomic } from './pki.ts';
import { PACKET_ID_PATTERN } from './store.ts';

export const EXPORT_FORMAT = 'cccd-outbox-export';

export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly code = 'CENTRAL_EXPORT_INVALID';
}

export interface IngestedPacket {
  readonly packetId: string;
  /** receipt / refusal (with `file`, the statement written), or why nothing was committed. */
  readonly outcome: 'receipt' | 'refusal' | 'digest-mismatch' | 'missing' | 'too-large';
  readonly file?: string;
}

interface ExportManifest {
  readonly format: string;
  readonly version: number;
  readonly stationId: string;
  readonly packets: readonly { packetId: string; file: string; size: number; sha256: string }[];
}

/**
 * Ingests an export folder into a central's intake.
 * @throws {IngestError} CENTRAL_EXPORT_INVALID for a folder without a readable manifest of this format.
 * @throws {CentralStorageFullError} while the simulated disk is full.
 */
export async function ingestExportFolder(
  central: { readonly intake: Intake },
  folder: string,
): Promise<IngestedPacket[]> {
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(folder, 'manifest.json'), 'utf8')) as ExportManifest;
  } catch (cause) {
    throw new IngestError(`${folder} has no readable manifest.json: ${String(cause)}`);
  }
  if (manifest.format !== EXPORT_FORMAT || manifest.version !== 1 || !Array.isArray(manifest.packets))
    throw new IngestError(`${folder}/manifest.json is not a ${EXPORT_FORMAT} version 1 manifest`);
  const sums = new Map<string, string>();
  try {
    for (const line of (await fs.readFile(path.join(folder, 'SHA256SUMS'), 'utf8')).split('\n')) {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
      if (match?.[1] && match[2]) sums.set(match[2], match[1]);
    }
  } catch (cause) {
    throw new IngestError(`${folder} has no readable SHA256SUMS: ${String(cause)}`);
  }
  await fs.mkdir(path.join(folder, 'receipts'), { recursive: true });
  const out: IngestedPacket[] = [];
  for (const entry of manifest.packets) {
    const packetId = String(entry.packetId);
    if (!PACKET_ID_PATTERN.test(packetId)) throw new IngestError(`packet id ${packetId} is malformed`);
    const relative = `packets/${packetId}.pkt`;
    if (entry.size > PACKET_LIMITS.maxPacketLength) {
      out.push({ packetId, outcome: 'too-large' });
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(path.join(folder, relative)));
    } catch {
      out.push({ packetId, outcome: 'missing' });
      continue;
    }
    const declared = entry.sha256.toLowerCase();
    if (sums.get(relative) !== declared || bytes.length !== entry.size) {
      out.push({ packetId, outcome: 'digest-mismatch' });
      continue;
    }
    const result = await central.intake.accept(bytes, {
      packetId,
      sha256: declared,
      stationId: String(manifest.stationId),
      stationFromSigner: true,
    });
    if (result.kind === 'digest-mismatch') {
      out.push({ packetId, outcome: 'digest-mismatch' });
      continue;
    }
    const file = path.join(folder, 'receipts', `${packetId}.jws`);
    await writeAtomic(file, result.statement, 0o644, true);
    out.push({ packetId, outcome: result.decision, file });
  }
  return out;
}
