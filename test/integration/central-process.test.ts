/**
 * The simulated central service as a child process (issue 18): one ready line, the same port, keys
 * and receipts after a restart on the same data folder, a clean SIGTERM, and typed start errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralSpawnError, type SpawnedCentral, spawnCentral } from '../../simulators/central/process.ts';

let dir: string;
const started: SpawnedCentral[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'central-process-'));
});

afterAll(async () => {
  for (const central of started) await central.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function health(url: string, ca: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${url}/v1/health`, { ca, agent: false }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });
}

describe('central in a child process', () => {
  it('listens over TLS with its own CA, keeps its port and keys across a restart, and stops on SIGTERM', async () => {
    const dataDir = path.join(dir, 'a');
    const first = await spawnCentral({ dataDir, environment: 'test' });
    started.push(first);
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(first.statementCertificatesPem).toHaveLength(1);
    expect(await health(first.url, first.tlsCaPem)).toMatchObject({
      status: 200,
      body: { status: 'ok', environment: 'test' },
    });

    // Another central on the same port is refused with a typed error.
    const clash = await spawnCentral({
      dataDir: path.join(dir, 'b'),
      environment: 'test',
      port: Number(new URL(first.url).port),
    }).then(
      (central) => {
        started.push(central);
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(clash).toBeInstanceOf(CentralSpawnError);
    expect(clash).toMatchObject({ code: 'CENTRAL_PORT_IN_USE' });

    await first.stop();
    expect(await first.exited).toBe(0);

    const second = await spawnCentral({ dataDir, environment: 'test' });
    started.push(second);
    expect(second.url).toBe(first.url);
    expect(second.tlsCaPem).toBe(first.tlsCaPem);
    expect(second.stationCaPem).toBe(first.stationCaPem);
    expect(second.statementCertificatesPem).toEqual(first.statementCertificatesPem);
    expect((await health(second.url, second.tlsCaPem)).status).toBe(200);
    second.kill('SIGKILL');
    expect(await second.exited).toBeNull();
  }, 120_000);

  it('says so when the data folder cannot be written', async () => {
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    await expect(spawnCentral({ dataDir: file, environment: 'test' })).rejects.toMatchObject({
      code: 'CENTRAL_DATA_DIR_UNWRITABLE',
    });
  }, 60_000);
});
