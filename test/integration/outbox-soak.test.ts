/**
 * The outbox soak in CI (issue 18 item 5): `npm run soak:outbox` with ITERATIONS=20 runs as a child
 * (central standalone, the station killed at random points and at each named failpoint, central
 * killed too, then a drain) and must end with `soak: N crashes, 0 lost, 0 duplicated`, N >= 20,
 * every failpoint hit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SOAK_FAILPOINTS } from '../../scripts/soak/schedule.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'outbox-soak-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSoak(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('scripts', 'soak-outbox.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run soak:outbox', () => {
  it('loses and duplicates nothing over 20 iterations of kills, with every failpoint hit', async () => {
    const resultFile = path.join(dir, 'soak-outbox.json');
    const { code, stdout, stderr } = await runSoak({
      ITERATIONS: '20',
      SOAK_SEED: '20261207',
      SOAK_DIR: path.join(dir, 'run'),
      SOAK_RESULT: resultFile,
    });
    const lines = stdout.trimEnd().split('\n');
    const last = lines.at(-1) ?? '';
    // On failure the whole output (progress, FAIL lines, the replay seed) is the diagnosis.
    expect(last, `${stdout}\n${stderr}`).toMatch(/^soak: \d+ crashes, 0 lost, 0 duplicated$/);
    expect(code, stdout).toBe(0);
    const crashes = Number(/^soak: (\d+) crashes/.exec(last)?.[1]);
    expect(crashes).toBeGreaterThanOrEqual(20);
    for (const name of SOAK_FAILPOINTS) {
      const line = lines.find((l) => l.startsWith(`soak: failpoint ${name}: `));
      expect(line, `no count printed for ${name}`).toBeDefined();
      expect(Number(line?.split(': ').at(-1)), `${name} was never hit`).toBeGreaterThanOrEqual(1);
    }
    const result = JSON.parse(readFileSync(resultFile, 'utf8'));
    expect(result).toMatchObject({
      iterations: 20,
      crashes,
      lost: 0,
      duplicated: 0,
      drained: true,
      ok: true,
    });
    expect(result.confirmed).toBeGreaterThan(0);
  }, 900_000);
});
