/**
 * What the PC/SC integration tests need from the machine: pcscd running with vsmartcard-vpcd
 * listening on the vpcd slot the test uses, and opensc-tool. A missing piece fails the test with
 * what to install (tests never skip on it); `npm run setup:test` provides all of it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Whether a TCP port is in LISTEN state, from /proc/net (a probe connection would look like a card to vpcd). */
export function listening(port: number): boolean {
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(wanted) && fields[3] === '0A') return true;
    }
  }
  return false;
}

export function pcscdRunning(): boolean {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'pcscd') return true;
    } catch {
      // the process ended while we looked
    }
  }
  return false;
}

/**
 * @throws {Error} naming what to install or start when pcscd, vpcd on `vpcdPort` or opensc-tool is
 *   missing; `what` names the test in the message.
 */
export function assertPcscReady(vpcdPort: number, what: string): void {
  const problems: string[] = [];
  if (!existsSync('/usr/sbin/pcscd')) problems.push('pcscd is not installed (apt package pcscd)');
  if (!existsSync('/usr/lib/pcsc/drivers/serial/libifdvpcd.so'))
    problems.push('the vpcd virtual reader is not installed (apt package vsmartcard-vpcd)');
  if (spawnSync('opensc-tool', ['--version']).error)
    problems.push('opensc-tool is not installed (apt package opensc)');
  if (problems.length === 0 && !pcscdRunning()) problems.push('pcscd is not running');
  if (problems.length === 0 && !listening(vpcdPort))
    problems.push(`pcscd runs but nothing listens on ${vpcdPort}: restart pcscd so it loads vsmartcard-vpcd`);
  if (problems.length > 0)
    throw new Error(
      `${what} needs pcscd with vsmartcard-vpcd and opensc: ${problems.join('; ')}. ` +
        'Run `npm run setup:test` (bash scripts/setup-system.sh --test installs them and starts pcscd).',
    );
}

/**
 * Takes a vpcd slot for this process, so that two test files (vitest runs them in parallel) never
 * put cards into one reader at once: a lock file created exclusively, holding our pid; a lock whose
 * process is gone is taken over. Waits up to `timeoutMs`; returns the release.
 */
export async function lockVpcdSlot(port: number, timeoutMs = 120_000): Promise<() => void> {
  const file = path.join(tmpdir(), `cccd-station-vpcd-${port}.lock`);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8'));
      let alive = Number.isInteger(owner) && owner > 0;
      try {
        if (alive) process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (!alive) unlinkSync(file);
      else if (performance.now() > deadline)
        throw new Error(`vpcd port ${port} stayed locked by pid ${owner}`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
}
