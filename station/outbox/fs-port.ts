/**
 * The file-system port of the outbox. Every byte the outbox puts on disk, and every name it reads,
 * goes through this interface, so that tests can record each write, fsync, rename and unlink and
 * rebuild what a power cut could have left (station/outbox/memory-fs.ts).
 *
 * Paths are relative to the outbox root and use `/` (`queue/<name>.pkt`); the implementation maps
 * them onto its own storage. Failures reject with the implementation's error (for Node, the
 * `ErrnoException` with its `code`: `ENOENT`, `EEXIST`, `ENOSPC` ...); the outbox does not retry.
 */
export interface OutboxFs {
  /** Creates a directory and its parents; no error if it exists. */
  mkdir(dir: string): Promise<void>;
  /** Names in a directory (not paths), in no particular order. */
  readdir(dir: string): Promise<string[]>;
  /** Creates a new file exclusively (fails with EEXIST if the name exists) and opens it to write. */
  create(file: string): Promise<OutboxFileHandle>;
  /** Whole file contents. */
  readFile(file: string): Promise<Uint8Array>;
  /** Renames atomically, replacing `to` if it exists. Durable only after fsyncDir of the directories. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a name. Durable only after fsyncDir of its directory. */
  unlink(file: string): Promise<void>;
  /** Makes the names in a directory (creates, renames, unlinks) durable. */
  fsyncDir(dir: string): Promise<void>;
  /** Free bytes available to this process on the file system holding the outbox. */
  statfs(): Promise<{ freeBytes: number }>;
}

/** An open file being written. `fsync` makes everything written so far durable. */
export interface OutboxFileHandle {
  write(bytes: Uint8Array): Promise<void>;
  fsync(): Promise<void>;
  close(): Promise<void>;
}

/** Directory part of a port path (`queue/a.pkt` -> `queue`, `a` -> ``). */
export function parentDir(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '' : file.slice(0, slash);
}
