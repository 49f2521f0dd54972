/**
 * shellcheck on every shell script of deploy/ and scripts/ (found by their #! line, not by a list, so a
 * new script is checked without touching this test), and the kiosk launcher's promises.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireCommand } from '../../support/deploy.ts';
import { tempDir } from '../../support/station.ts';

function shellScripts(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...shellScripts(full));
    else if (
      entry.isFile() &&
      /^#!\s*\/(usr\/)?bin\/(env )?(ba|da)?sh\b/.test(readFileSync(full, 'utf8').slice(0, 64))
    )
      found.push(path.relative(ROOT, full));
  }
  return found.sort();
}

function shellcheck(files: readonly string[], cwd = ROOT) {
  // -x with SCRIPTDIR: sourced files (scripts/runtime.env) are found beside the script that sources them.
  const run = spawnSync('shellcheck', ['-x', '--source-path=SCRIPTDIR', '--format=gcc', ...files], {
    cwd,
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  requireCommand('shellcheck', 'shellcheck');
  tmp = tempDir('deploy-shellcheck-');
});
afterAll(() => tmp?.remove());

describe('shellcheck', () => {
  const scripts = [...shellScripts(path.join(ROOT, 'deploy')), ...shellScripts(path.join(ROOT, 'scripts'))];

  it('finds the scripts it is meant to check', () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        'deploy/install.sh',
        'deploy/kiosk/cccd-kiosk',
        'scripts/setup.sh',
        'scripts/setup-system.sh',
        'scripts/with-runtime',
      ]),
    );
  });

  it('has nothing to say about any of them', () => {
    const { status, output } = shellcheck(scripts);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('does speak up about a faulty script (the check can fail)', () => {
    const bad = path.join(tmp.dir, 'bad.sh');
    writeFileSync(bad, '#!/bin/sh\nfor f in $(ls *.txt); do rm $f; done\n[ $1 == x ] && echo yes\n');
    const { status, output } = shellcheck([bad], tmp.dir);
    expect(status).not.toBe(0);
    expect(output).toMatch(/SC2045|SC2086/);
  });

  it('deploy scripts are executable', () => {
    for (const file of scripts.filter((f) => f.startsWith('deploy/')))
      expect([file, statSync(path.join(ROOT, file)).mode & 0o111]).toEqual([file, 0o111]);
  });
});

describe('deploy/kiosk/cccd-kiosk', () => {
  const launcher = path.join(ROOT, 'deploy/kiosk/cccd-kiosk');

  it('keeps the sandbox on and starts in kiosk mode with silent printing', () => {
    const run = spawnSync(launcher, ['--print-flags'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, CCCD_KIOSK_ENV: '/nonexistent' },
    });
    expect(run.status).toBe(0);
    const flags = run.stdout.trim().split('\n');
    expect(flags).toEqual(expect.arrayContaining(['--kiosk', '--kiosk-printing']));
    expect(flags.filter((f) => /sandbox/.test(f))).toEqual([]);
    expect(flags).toContain(`--user-data-dir=${tmp.dir}/.local/state/cccd-kiosk/profile`);
    expect(readFileSync(launcher, 'utf8')).not.toMatch(/^[^#]*--no-sandbox/m);
  });

  it('refuses to start without the station URL, saying where to set it', () => {
    const env = path.join(tmp.dir, 'kiosk.env');
    writeFileSync(env, '# no URL\n');
    const run = spawnSync(launcher, [], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, CCCD_KIOSK_ENV: env },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`STATION_URL is not set; run deploy/install.sh, or set it in ${env}`);
  });
});
