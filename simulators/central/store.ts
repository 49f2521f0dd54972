/**
 * The simulated central service's durable state, in its data directory:
 *
 *   packets/<packetId>/index.json      what was decided (PacketIndex)
 *   packets/<packetId>/statement.jws   the signed statement (receipt or refusal), as answered
 *   packets/<packetId>/packet.pkt      the packet's bytes (receipts only)
 *   stations/<stationId>.json          registered station certificates (never removed)
 *   revocations.json                   revoked signer serials with their compromise date
 *   anchors/<stationId>.json           the highest audit-chain anchor seen from the station { seq, head }
 *   log/accepted.jsonl                 one line per accepted packet, for the soak harness
 *
 * A packet is committed by writing its files into a fresh `packets/.tmp-*` folder (each fsync'd),
 * fsyncing that folder, renaming it to `packets/<packetId>` and fsyncing `packets/`: the rename is
 * the commit point, and a second rename for the same id fails, so a packet is committed at most once.
 * The log line is appended (and fsync'd) after the commit point; a start re-adds lines a crash lost
 * between the two (`open`).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { AuditAnchorField } from '../../protocol/central/statement.ts';
import { syncDir, writeAtomic } from './pki.ts';

export type Order = 'production' | 'held-duplicate-session';

export interface PacketIndex {
  readonly packetId: string;
  readonly kind: 'receipt' | 'refusal';
  readonly sha256: string;
  readonly size: number;
  readonly stationId: string;
  /** ISO 8601: receivedAt of a receipt, decidedAt of a refusal. */
  readonly at: string;
  readonly enrollmentSessionId?: string;
  readonly order?: Order;
  readonly code?: string;
}

export interface LogLine {
  readonly at: string;
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  readonly sha256: string;
  readonly stationId: string;
  readonly order: Order;
}

export interface RegisteredCertificate {
  readonly pem: string;
  /** Lowercase hex, leading zeros dropped. */
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly registeredAt: string;
}

export interface StationRecord {
  readonly stationId: string;
  readonly registeredAt: string;
  readonly certificates: readonly RegisteredCertificate[];
}

export interface Revocation {
  /** Lowercase hex, leading zeros dropped. */
  readonly serialNumber: string;
  /** ISO 8601; packets signed at or after it are refused. */
  readonly compromisedAt: string;
}

export const PACKET_ID_PATTERN = /^[0-9A-Za-z-]{1,64}$/;
export const STATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Serial numbers compare as lowercase hex without leading zeros. */
export const normalizeSerial = (hex: string): string => hex.toLowerCase().replace(/^(00)+(?=.)/, '');

export class CentralStore {
  readonly #dir: string;
  readonly #packets = new Map<string, PacketIndex>();
  /** enrollmentSessionId -> the packet id produced for it. */
  readonly #sessions = new Map<string, string>();
  readonly #stations = new Map<string, StationRecord>();
  #revocations: Revocation[] = [];
  /** stationId -> the highest audit anchor its accepted packets carried. */
  readonly #anchors = new Map<string, AuditAnchorField>();

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Loads the state in `dataDir`, clearing unfinished commits and re-adding lost log lines. */
  static async open(dataDir: string): Promise<CentralStore> {
    const store = new CentralStore(dataDir);
    for (const dir of ['packets', 'stations', 'log', 'anchors'])
      await fs.mkdir(path.join(dataDir, dir), { recursive: true });
    const packetsDir = path.join(dataDir, 'packets');
    for (const name of await fs.readdir(packetsDir)) {
      if (name.startsWith('.tmp-')) {
        await fs.rm(path.join(packetsDir, name), { recursive: true, force: true });
        continue;
      }
      const index = JSON.parse(
        await fs.readFile(path.join(packetsDir, name, 'index.json'), 'utf8'),
      ) as PacketIndex;
      store.#remember(index);
    }
    for (const name of await fs.readdir(path.join(dataDir, 'stations'))) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(
        await fs.readFile(path.join(dataDir, 'stations', name), 'utf8'),
      ) as StationRecord;
      store.#stations.set(record.stationId, record);
    }
    for (const name of await fs.readdir(path.join(dataDir, 'anchors'))) {
      if (!name.endsWith('.json')) continue;
      const anchor = JSON.parse(
        await fs.readFile(path.join(dataDir, 'anchors', name), 'utf8'),
      ) as AuditAnchorField;
      store.#anchors.set(name.slice(0, -'.json'.length), { seq: anchor.seq, head: anchor.head });
    }
    try {
      store.#revocations = JSON.parse(await fs.readFile(path.join(dataDir, 'revocations.json'), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // A crash after a commit's rename and before its log line: add the line now.
    const logged = new Set((await store.readLog()).map((line) => line.packetId));
    const missing = [...store.#packets.values()]
      .filter((index) => index.kind === 'receipt' && !logged.has(index.packetId))
      .sort((a, b) => a.at.localeCompare(b.at));
    for (const index of missing) await store.appendLog(logLineOf(index));
    return store;
  }

  #remember(index: PacketIndex): void {
    this.#packets.set(index.packetId, index);
    if (index.order === 'production' && index.enrollmentSessionId !== undefined)
      this.#sessions.set(index.enrollmentSessionId, index.packetId);
  }

  packet(packetId: string): PacketIndex | undefined {
    return this.#packets.get(packetId);
  }

  /** The packet id already produced for this enrollment session, if any. */
  producedFor(enrollmentSessionId: string): string | undefined {
    return this.#sessions.get(enrollmentSessionId);
  }

  async statement(packetId: string): Promise<Uint8Array | undefined> {
    if (!this.#packets.has(packetId)) return undefined;
    return new Uint8Array(await fs.readFile(path.join(this.#dir, 'packets', packetId, 'statement.jws')));
  }

  /**
   * Commits a packet's decision durably (module comment). Resolves false, writing nothing, when the
   * packet id is already committed.
   */
  async commit(index: PacketIndex, statement: Uint8Array, packet: Uint8Array | undefined): Promise<boolean> {
    if (!PACKET_ID_PATTERN.test(index.packetId))
      throw new RangeError(`packet id ${index.packetId} is not safe`);
    if (this.#packets.has(index.packetId)) return false;
    const packetsDir = path.join(this.#dir, 'packets');
    const temp = path.join(packetsDir, `.tmp-${randomBytes(8).toString('hex')}`);
    await fs.mkdir(temp);
    try {
      if (packet !== undefined) await writeSynced(path.join(temp, 'packet.pkt'), packet);
      await writeSynced(path.join(temp, 'statement.jws'), statement);
      await writeSynced(path.join(temp, 'index.json'), `${JSON.stringify(index)}\n`);
      await syncDir(temp);
      try {
        await fs.rename(temp, path.join(packetsDir, index.packetId));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw error;
      }
      await syncDir(packetsDir);
    } finally {
      await fs.rm(temp, { recursive: true, force: true });
    }
    this.#remember(index);
    if (index.kind === 'receipt') await this.appendLog(logLineOf(index));
    return true;
  }

  async appendLog(line: LogLine): Promise<void> {
    const handle = await fs.open(path.join(this.#dir, 'log', 'accepted.jsonl'), 'a', 0o644);
    try {
      await handle.write(`${JSON.stringify(line)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async readLog(): Promise<LogLine[]> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.#dir, 'log', 'accepted.jsonl'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** The highest audit anchor seen from a station, if any. */
  anchor(stationId: string): AuditAnchorField | undefined {
    return this.#anchors.get(stationId);
  }

  /**
   * Keeps `anchor` as the station's when its seq is above the one held, durably (atomic write)
   * before it resolves; a lower or equal seq changes nothing. Resolves the station's anchor after.
   * Callers serialise (the intake commits one packet at a time).
   */
  async raiseAnchor(stationId: string, anchor: AuditAnchorField): Promise<AuditAnchorField> {
    if (!STATION_ID_PATTERN.test(stationId)) throw new RangeError(`station id ${stationId} is not safe`);
    const held = this.#anchors.get(stationId);
    if (held !== undefined && held.seq >= anchor.seq) return held;
    const next = { seq: anchor.seq, head: anchor.head };
    await writeAtomic(
      path.join(this.#dir, 'anchors', `${stationId}.json`),
      `${JSON.stringify(next)}\n`,
      0o644,
      true,
    );
    this.#anchors.set(stationId, next);
    return next;
  }

  station(stationId: string): StationRecord | undefined {
    return this.#stations.get(stationId);
  }

  /** Adds a certificate to a station's registration (creating it); never removes one. */
  async register(stationId: string, certificate: Omit<RegisteredCertificate, 'registeredAt'>, at: string) {
    if (!STATION_ID_PATTERN.test(stationId)) throw new RangeError(`station id ${stationId} is not safe`);
    const existing = this.#stations.get(stationId);
    const known = existing?.certificates.some((c) => c.serialNumber === certificate.serialNumber) ?? false;
    const record: StationRecord = {
      stationId,
      registeredAt: existing?.registeredAt ?? at,
      certificates: known
        ? (existing?.certificates ?? [])
        : [...(existing?.certificates ?? []), { ...certificate, registeredAt: at }],
    };
    if (!known)
      await writeAtomic(
        path.join(this.#dir, 'stations', `${stationId}.json`),
        `${JSON.stringify(record, null, 2)}\n`,
        0o644,
        true,
      );
    this.#stations.set(stationId, record);
    return record;
  }

  revocations(): readonly Revocation[] {
    return this.#revocations;
  }

  async revoke(revocation: Revocation): Promise<void> {
    const next = [...this.#revocations.filter((r) => r.serialNumber !== revocation.serialNumber), revocation];
    await writeAtomic(
      path.join(this.#dir, 'revocations.json'),
      `${JSON.stringify(next, null, 2)}\n`,
      0o644,
      true,
    );
    this.#revocations = next;
  }
}

function logLineOf(index: PacketIndex): LogLine {
  return {
    at: index.at,
    packetId: index.packetId,
    enrollmentSessionId: index.enrollmentSessionId ?? '',
    sha256: index.sha256,
    stationId: index.stationId,
    order: index.order ?? 'production',
  };
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
