import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PINNED_NODE_VERSION, runtimeProblem } from '../../../station/runtime.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the pinned runtime', () => {
  it('is the version in scripts/runtime.env, with its tarball integrity, and package.json engines agree', () => {
    const env = readFileSync(path.join(ROOT, 'scripts/runtime.env'), 'utf8');
    expect(env).toContain(`NODE_RUNTIME_VERSION=${PINNED_NODE_VERSION}\n`);
    expect(env).toMatch(/^NODE_RUNTIME_INTEGRITY=sha512-[A-Za-z0-9+/]{86}==$/m);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.engines.node).toBe(`^${PINNED_NODE_VERSION}`);
  });

  it('is the runtime these tests run on', () => {
    expect(runtimeProblem(process.versions.node)).toBeUndefined();
    expect(process.versions.node.split('.')[0]).toBe(PINNED_NODE_VERSION.split('.')[0]);
  });

  it('refuses another major version or an older patch, naming the fix', () => {
    expect(runtimeProblem('20.20.2', '24.22.3')).toMatch(
      /this is Node\.js 20\.20\.2, but the station runs on Node\.js 24\.22\.3.*npm run setup/,
    );
    expect(runtimeProblem('v26.1.0', '24.22.3')).toBeDefined();
    expect(runtimeProblem('24.22.2', '24.22.3')).toBeDefined();
    expect(runtimeProblem('24.9.9', '24.22.3')).toBeDefined();
    expect(runtimeProblem('24.22.3', '24.22.3')).toBeUndefined();
    expect(runtimeProblem('24.23.0', '24.22.3')).toBeUndefined();
  });

  it("refuses to start the station under the system's older Node.js, before opening anything", () => {
    // Debian's own Node.js (20 on this kind of machine) is what a hand-typed `node station/main.ts` finds.
    const system = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
    expect(system.status, 'this test needs the system Node.js at /usr/bin/node').toBe(0);
    expect(runtimeProblem(system.stdout.trim()), `system Node.js ${system.stdout}`).toBeDefined();
    const run = spawnSync('/usr/bin/node', ['--import', 'tsx', path.join(ROOT, 'station/main.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`the station runs on Node.js ${PINNED_NODE_VERSION}`);
    expect(run.stdout).not.toMatch(/Station ready/);
  });
});
