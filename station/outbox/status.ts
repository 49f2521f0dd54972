/**
 * Outbox depth for /health: packets waiting for a verified receipt. The outbox (./outbox.ts, a
 * crash-safe spool of encrypted packets, see ./README.md) keeps each queued or uploading packet as one
 * `*.pkt` file in `<dataDir>/outbox/queue/` and moves it out when acknowledged or dead-lettered, so
 * counting that directory tells the truth without opening the outbox.
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
