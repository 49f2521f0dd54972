/**
 * Outbox depth for /health. The outbox (crash-safe spool of encrypted packets) arrives with the packet
 * and upload issue; its queue lives in `<dataDir>/outbox/queue/`, one `*.pkt` file per packet, and
 * this reads that directory so /health tells the truth from the first packet on.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface OutboxStatus {
  /** Packets waiting for a verified receipt. */
  depth(): Promise<number>;
}

export class SpoolOutboxStatus implements OutboxStatus {
  readonly #queueDir: string;

  constructor(dataDir: string) {
    this.#queueDir = path.join(dataDir, 'outbox', 'queue');
  }

  /** Creates the queue directory if needed. @throws the fs error when dataDir is not writable. */
  async prepare(): Promise<void> {
    await mkdir(this.#queueDir, { recursive: true, mode: 0o700 });
  }

  async depth(): Promise<number> {
    const names = await readdir(this.#queueDir);
    return names.filter((name) => name.endsWith('.pkt')).length;
  }
}
