/**
 * The outbox file-system port on Node's fs: paths relative to one root directory, files created
 * with mode 0600 and directories 0700 (the payloads are encrypted, the receipts and names are not
 * secret, but nothing else on the station needs to read them).
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { OutboxFileHandle, OutboxFs } from './fs-port.ts';

export class NodeOutboxFs implements OutboxFs {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  #abs(relative: string): string {
    if (relative.split('/').some((part) => part === '..')) {
      throw new RangeError(`outbox path leaves the outbox root: ${relative}`);
    }
    return path.join(this.root, ...relative.split('/'));
  }

  async mkdir(dir: string): Promise<void> {
    await mkdir(this.#abs(dir), { recursive: true, mode: 0o700 });
  }

  readdir(dir: string): Promise<string[]> {
    return readdir(this.#abs(dir));
  }

  async create(file: string): Promise<OutboxFileHandle> {
    const handle = await open(
      this.#abs(file),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      0o600,
    );
    return {
      write: async (bytes) => {
        let done = 0;
        while (done < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
          done += bytesWritten;
        }
      },
      fsync: () => handle.sync(),
      close: () => handle.close(),
    };
  }

  async readFile(file: string): Promise<Uint8Array> {
    const buffer = await readFile(this.#abs(file));
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  rename(from: string, to: string): Promise<void> {
    return rename(this.#abs(from), this.#abs(to));
  }

  unlink(file: string): Promise<void> {
    return unlink(this.#abs(file));
  }

  async fsyncDir(dir: string): Promise<void> {
    const handle = await open(this.#abs(dir), constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async statfs(): Promise<{ freeBytes: number }> {
    const stats = await statfs(this.root);
    return { freeBytes: Number(stats.bavail) * Number(stats.bsize) };
  }
}
