/**
 * An in-memory {@link OutboxFs} that records every operation, and the power-cut model built on its
 * log. For tests and crash-image checks; the station uses node-fs.ts.
 *
 * The model (what a power cut may leave, ext4-like but without relying on its ordering):
 * - a file's bytes are durable once the file was fsynced after they were written;
 * - a name (create, unlink) is durable once its directory was fsynced after it;
 * - a rename is all or nothing (one journal transaction on ext4, XFS, btrfs: the station's file
 *   systems), durable once the directory of its new name was fsynced after it;
 * - directories themselves (mkdir) are taken as durable;
 * - any subset of the effects not yet durable may have reached the disk, applied in log order;
 *   an unsynced write may be missing, whole, cut short (tail truncated) or with its tail zeroed.
 */
import { type OutboxFileHandle, type OutboxFs, parentDir } from './fs-port.ts';

export type FsOp =
  | { readonly op: 'mkdir'; readonly dir: string }
  | { readonly op: 'create'; readonly file: string; readonly inode: number }
  | { readonly op: 'write'; readonly inode: number; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly op: 'fsync'; readonly inode: number }
  | { readonly op: 'close'; readonly inode: number }
  | { readonly op: 'rename'; readonly from: string; readonly to: string; readonly inode: number }
  | { readonly op: 'unlink'; readonly file: string; readonly inode: number }
  | { readonly op: 'fsyncDir'; readonly dir: string }
  | { readonly op: 'readdir'; readonly dir: string }
  | { readonly op: 'readFile'; readonly file: string }
  | { readonly op: 'statfs' };

function enoent(what: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${what}`), { code: 'ENOENT' });
}

export class MemoryOutboxFs implements OutboxFs {
  /** Every operation, in order. */
  readonly log: FsOp[] = [];
  readonly dirs = new Set<string>(['']);
  /** Path -> inode. */
  readonly names = new Map<string, number>();
  /** Inode -> contents. */
  readonly inodes = new Map<number, Uint8Array>();
  freeBytes: number;
  #nextInode = 1;

  constructor(freeBytes = 100 * 1024 ** 3) {
    this.freeBytes = freeBytes;
  }

  async mkdir(dir: string): Promise<void> {
    this.log.push({ op: 'mkdir', dir });
    let path = '';
    for (const part of dir.split('/')) {
      path = path ? `${path}/${part}` : part;
      this.dirs.add(path);
    }
  }

  async readdir(dir: string): Promise<string[]> {
    this.log.push({ op: 'readdir', dir });
    if (!this.dirs.has(dir)) throw enoent(`scandir '${dir}'`);
    const prefix = dir ? `${dir}/` : '';
    return [...this.names.keys()]
      .filter((file) => file.startsWith(prefix) && !file.slice(prefix.length).includes('/'))
      .map((file) => file.slice(prefix.length));
  }

  async create(file: string): Promise<OutboxFileHandle> {
    if (!this.dirs.has(parentDir(file))) throw enoent(`open '${file}'`);
    if (this.names.has(file)) {
      throw Object.assign(new Error(`EEXIST: file already exists, open '${file}'`), { code: 'EEXIST' });
    }
    const inode = this.#nextInode++;
    this.names.set(file, inode);
    this.inodes.set(inode, new Uint8Array(0));
    this.log.push({ op: 'create', file, inode });
    return {
      write: async (bytes) => {
        const old = this.inodes.get(inode) ?? new Uint8Array(0);
        const grown = new Uint8Array(old.length + bytes.length);
        grown.set(old);
        grown.set(bytes, old.length);
        this.inodes.set(inode, grown);
        this.log.push({ op: 'write', inode, offset: old.length, bytes: bytes.slice() });
      },
      fsync: async () => {
        this.log.push({ op: 'fsync', inode });
      },
      close: async () => {
        this.log.push({ op: 'close', inode });
      },
    };
  }

  async readFile(file: string): Promise<Uint8Array> {
    this.log.push({ op: 'readFile', file });
    const inode = this.names.get(file);
    if (inode === undefined) throw enoent(`open '${file}'`);
    return (this.inodes.get(inode) ?? new Uint8Array(0)).slice();
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.names.get(from);
    if (inode === undefined || !this.dirs.has(parentDir(to))) throw enoent(`rename '${from}' -> '${to}'`);
    this.names.delete(from);
    this.names.set(to, inode);
    this.log.push({ op: 'rename', from, to, inode });
  }

  async unlink(file: string): Promise<void> {
    const inode = this.names.get(file);
    if (inode === undefined) throw enoent(`unlink '${file}'`);
    this.names.delete(file);
    this.log.push({ op: 'unlink', file, inode });
  }

  async fsyncDir(dir: string): Promise<void> {
    if (!this.dirs.has(dir)) throw enoent(`open '${dir}'`);
    this.log.push({ op: 'fsyncDir', dir });
  }

  async statfs(): Promise<{ freeBytes: number }> {
    this.log.push({ op: 'statfs' });
    return { freeBytes: this.freeBytes };
  }

  /** Makes files created from now on take inode numbers above `inode` (crash images reuse a log's). */
  reserveInodes(inode: number): void {
    this.#nextInode = Math.max(this.#nextInode, inode + 1);
  }

  /** A copy of the current state with an empty log (the starting disk of a next run). */
  clone(): MemoryOutboxFs {
    const copy = new MemoryOutboxFs(this.freeBytes);
    for (const dir of this.dirs) copy.dirs.add(dir);
    for (const [file, inode] of this.names) copy.names.set(file, inode);
    for (const [inode, bytes] of this.inodes) copy.inodes.set(inode, bytes.slice());
    copy.#nextInode = this.#nextInode;
    return copy;
  }
}

/** One effect that a power cut may or may not have left on disk. */
export interface PendingEffect {
  /** Index in the log of the operation it comes from. */
  readonly index: number;
  readonly kind: 'write' | 'name' | 'unname' | 'rename';
}

/** How an unsynced effect reached the disk: not at all, whole, or (writes) cut short or zero-filled. */
export type EffectFate = 'lost' | 'applied' | 'truncated' | 'zeroed';

interface Effect {
  readonly index: number;
  readonly kind: 'write' | 'name' | 'unname' | 'rename' | 'mkdir';
  readonly durable: boolean;
  readonly file?: string;
  readonly from?: string;
  readonly inode: number;
  readonly offset?: number;
  readonly bytes?: Uint8Array;
  readonly dir?: string;
}

/** The effects of the first `upTo` operations of a log, each marked durable or not. */
function effectsOf(log: readonly FsOp[], upTo: number): Effect[] {
  const ops = log.slice(0, upTo);
  const fsyncedAfter = (index: number, test: (op: FsOp) => boolean): boolean =>
    ops.slice(index + 1).some(test);
  const dirSynced = (index: number, file: string) =>
    fsyncedAfter(index, (op) => op.op === 'fsyncDir' && op.dir === parentDir(file));
  const effects: Effect[] = [];
  ops.forEach((op, index) => {
    switch (op.op) {
      case 'mkdir':
        effects.push({ index, kind: 'mkdir', durable: true, dir: op.dir, inode: 0 });
        break;
      case 'create':
        effects.push({
          index,
          kind: 'name',
          durable: dirSynced(index, op.file),
          file: op.file,
          inode: op.inode,
        });
        break;
      case 'write':
        effects.push({
          index,
          kind: 'write',
          durable: fsyncedAfter(index, (later) => later.op === 'fsync' && later.inode === op.inode),
          inode: op.inode,
          offset: op.offset,
          bytes: op.bytes,
        });
        break;
      case 'rename':
        effects.push({
          index,
          kind: 'rename',
          durable: dirSynced(index, op.to),
          from: op.from,
          file: op.to,
          inode: op.inode,
        });
        break;
      case 'unlink':
        effects.push({
          index,
          kind: 'unname',
          durable: dirSynced(index, op.file),
          file: op.file,
          inode: op.inode,
        });
        break;
      default:
        break;
    }
  });
  return effects;
}

/** The effects of the first `upTo` operations that a power cut could have lost. */
export function pendingEffects(log: readonly FsOp[], upTo: number): PendingEffect[] {
  return effectsOf(log, upTo)
    .filter((effect) => !effect.durable)
    .map((effect) => ({ index: effect.index, kind: effect.kind as PendingEffect['kind'] }));
}

/**
 * The disk a power cut right after operation `upTo - 1` could leave: every durable effect, and each
 * pending effect as `fate` says (by position in {@link pendingEffects}; default lost).
 */
export function crashImage(
  base: MemoryOutboxFs,
  log: readonly FsOp[],
  upTo: number,
  fate: (pendingIndex: number, effect: PendingEffect) => EffectFate,
): MemoryOutboxFs {
  const image = base.clone();
  // Files the recovery run creates on this image must not share an inode with one from the log.
  for (const op of log) if ('inode' in op) image.reserveInodes(op.inode);
  let pending = 0;
  for (const effect of effectsOf(log, upTo)) {
    let how: EffectFate = 'applied';
    if (!effect.durable) {
      how = fate(pending, { index: effect.index, kind: effect.kind as PendingEffect['kind'] });
      pending += 1;
    }
    if (how === 'lost') continue;
    switch (effect.kind) {
      case 'mkdir':
        for (const part of (effect.dir ?? '').split('/').keys()) {
          image.dirs.add(
            (effect.dir ?? '')
              .split('/')
              .slice(0, part + 1)
              .join('/'),
          );
        }
        break;
      case 'name':
        image.names.set(effect.file ?? '', effect.inode);
        if (!image.inodes.has(effect.inode)) image.inodes.set(effect.inode, new Uint8Array(0));
        break;
      case 'rename':
        if (image.names.get(effect.from ?? '') === effect.inode) image.names.delete(effect.from ?? '');
        image.names.set(effect.file ?? '', effect.inode);
        break;
      case 'unname':
        if (image.names.get(effect.file ?? '') === effect.inode) image.names.delete(effect.file ?? '');
        break;
      case 'write': {
        const bytes = effect.bytes ?? new Uint8Array(0);
        const offset = effect.offset ?? 0;
        let data = bytes;
        if (how === 'truncated') data = bytes.subarray(0, Math.floor(bytes.length / 2));
        if (how === 'zeroed') {
          data = bytes.slice();
          data.fill(0, Math.floor(bytes.length / 2));
        }
        const old = image.inodes.get(effect.inode) ?? new Uint8Array(0);
        const grown = new Uint8Array(Math.max(old.length, offset + data.length));
        grown.set(old);
        grown.set(data, offset);
        image.inodes.set(effect.inode, grown);
        break;
      }
    }
  }
  return image;
}
