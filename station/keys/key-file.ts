/**
 * Private keys (and PIN files) on disk: PKCS#8 PEM, owner-only.
 *
 * A key file that group or others can read or write (mode & 0o077) is refused, as OpenSSH refuses
 * an open private key: whoever could read it could sign packets as this station. The mode is taken
 * from the open descriptor (fstat), so the file checked is the file read. New files are written 0600
 * through a temporary file in the same folder, fsync'd, then renamed over the target, and the folder
 * is fsync'd, so a crash leaves either no key or the whole key, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { KeyError } from './errors.ts';

/** A key or PIN file is a few kilobytes; anything larger is not one. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Reads a secret file (key or PIN) after checking it is owner-only.
 * @throws {KeyError} KEY_FILE_UNREADABLE (missing, unreadable, not a regular file, too large);
 *   KEY_FILE_PERMISSIONS when mode & 0o077 is not 0, naming the `chmod 600` fix.
 */
export async function readSecretFile(file: string, what = 'key file'): Promise<Uint8Array> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ELOOP'
          ? 'is a symbolic link; name the file itself'
          : `cannot be read (${code ?? String(cause)})`;
    throw new KeyError('KEY_FILE_UNREADABLE', `The ${what} ${file} ${reason}`, { file, cause });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new KeyError('KEY_FILE_UNREADABLE', `The ${what} ${file} is not a regular file`, { file });
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
      throw new KeyError(
        'KEY_FILE_PERMISSIONS',
        `The ${what} ${file} has mode ${mode}: group or others can read or change it, so it is refused. ` +
          `Make it private to its owner with 'chmod 600 ${file}' (and check who has seen it).`,
        { file },
      );
    }
    if (stat.size > MAX_KEY_FILE_BYTES)
      throw new KeyError(
        'KEY_FILE_UNREADABLE',
        `The ${what} ${file} is ${stat.size} bytes; a ${what} is at most ${MAX_KEY_FILE_BYTES} bytes`,
        { file },
      );
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

/**
 * Writes `content` to `file` with mode 0600, atomically (temp file + fsync + rename + folder fsync).
 * Creates the folder (0700) if needed.
 * @param overwrite when false (the default for keys) an existing `file` is refused.
 * @throws {KeyError} KEY_EXISTS when `file` exists and overwrite is false; KEY_FILE_UNREADABLE when
 *   the folder cannot be written.
 */
export async function writeFileAtomic(
  file: string,
  content: Uint8Array | string,
  options: { mode?: number; overwrite?: boolean } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const mode = options.mode ?? 0o600;
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new KeyError('KEY_FILE_UNREADABLE', `Cannot create the folder ${dir}: ${String(cause)}`, {
      file: dir,
      cause,
    });
  }
  if (options.overwrite !== true && (await exists(file)))
    throw new KeyError(
      'KEY_EXISTS',
      `${file} already exists; it is not overwritten. Choose another file name, or move the old one away first.`,
      { file },
    );
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    // O_EXCL: the temp name is fresh; `mode` applies at creation, so the key is never briefly 0644.
    handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.overwrite !== true) {
      // link() fails if the target appeared meanwhile, where rename() would replace it.
      await fs.link(temp, file);
      await fs.unlink(temp);
    } else {
      await fs.rename(temp, file);
    }
    const dirHandle = await fs.open(dir, constants.O_RDONLY);
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (cause) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST')
      throw new KeyError('KEY_EXISTS', `${file} already exists; it is not overwritten.`, { file, cause });
    throw new KeyError('KEY_FILE_UNREADABLE', `Cannot write ${file}: ${String(cause)}`, { file, cause });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}
