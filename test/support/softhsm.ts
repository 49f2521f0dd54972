/**
 * A fresh SoftHSM2 token for tests and benchmarks: its own folder of tokens, a configuration naming
 * it, and SOFTHSM2_CONF pointed at that configuration in this process (the module reads it when it
 * is first initialised, so one process keeps one token folder). Fails saying what to install when
 * SoftHSM2 is missing; it never skips.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SOFTHSM2_MODULE } from '../../station/keys/pkcs11-uri.ts';

export interface SoftHsmToken {
  /** The temp folder holding the token store and its configuration (free for other files too). */
  readonly dir: string;
  /** The softhsm2.conf written for it. */
  readonly conf: string;
  readonly label: string;
  readonly pin: string;
  /** Removes the folder and its token. */
  remove(): void;
}

/** Why SoftHSM2 cannot be used here, or undefined when it can. */
export function softHsmMissing(): string | undefined {
  if (!existsSync(SOFTHSM2_MODULE)) return `${SOFTHSM2_MODULE} is missing`;
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util is not on PATH';
  }
  return undefined;
}

/**
 * Initialises a token labelled `label` with user PIN `pin` in a new temp folder.
 * @throws {Error} naming `npm run setup:test` when SoftHSM2 is not installed.
 */
export function createSoftHsmToken(options: {
  readonly label: string;
  readonly pin: string;
  readonly soPin?: string;
  readonly prefix?: string;
}): SoftHsmToken {
  const missing = softHsmMissing();
  if (missing !== undefined)
    throw new Error(
      `SoftHSM2 is not installed (${missing}): run 'npm run setup:test' (apt package softhsm2)`,
    );
  const dir = mkdtempSync(path.join(tmpdir(), options.prefix ?? 'softhsm-'));
  mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(
    'softhsm2-util',
    [
      '--init-token',
      '--free',
      '--label',
      options.label,
      '--pin',
      options.pin,
      '--so-pin',
      options.soPin ?? '13579',
    ],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' },
  );
  return {
    dir,
    conf,
    label: options.label,
    pin: options.pin,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
