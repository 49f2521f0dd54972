/**
 * The `station` command that setup puts on PATH works from any directory (not only through npx
 * inside the checkout), and runs this checkout's CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATION_VERSION } from '../../station/version.ts';
import { tempDir } from '../support/station.ts';

const ROOT = realpathSync(path.resolve(import.meta.dirname, '../..'));

function launcherPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v station'], { encoding: 'utf8' });
  if (found.status !== 0)
    throw new Error("no 'station' on PATH: run 'npm run setup' (it installs the launcher)");
  return found.stdout.trim();
}

describe('the station command on PATH', () => {
  it('is the launcher setup wrote for this checkout', () => {
    const text = readFileSync(launcherPath(), 'utf8');
    expect(text).toMatch(/^#!\/bin\/sh\n# cccd-station launcher/);
    expect(text).toContain(`'${ROOT}'/station/cli/bin.mjs`);
  });

  it('runs from a directory outside the checkout', () => {
    const tmp = tempDir('station-cmd-');
    try {
      const version = execFileSync('station', ['--version'], { cwd: tmp.dir, encoding: 'utf8' });
      expect(version).toBe(`${STATION_VERSION}\n`);
      const wsq = spawnSync('station', ['wsq', 'info', '--in', 'missing.wsq'], {
        cwd: tmp.dir,
        encoding: 'utf8',
      });
      // Resolved against the directory it was typed in.
      expect(wsq.status).toBe(1);
      expect(wsq.stderr).toContain(path.join(tmp.dir, 'missing.wsq'));
    } finally {
      tmp.remove();
    }
  });
});
