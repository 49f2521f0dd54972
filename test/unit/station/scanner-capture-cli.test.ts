/**
 * `station scanner capture` prints the same JSON fields whether it goes through a running station
 * or opens the scanner itself (--standalone): a script reading one can read the other.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../station/cli/main.ts';
import { decodeGreyPng } from '../../../station/imaging/grey-image.ts';
import { recordingIo } from '../../support/cli.ts';
import { embeddedStation, tempDir } from '../../support/station.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** Every key path of a JSON value ('device.model', 'attestation.nonce', ...), sorted. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value)
    .flatMap(([key, inner]) => keyPaths(inner, prefix ? `${prefix}.${key}` : key))
    .sort();
}

async function captureJson(argv: string[], cwd: string): Promise<Record<string, unknown>> {
  const io = recordingIo(cwd);
  const code = await main(['scanner', 'capture', 'scanner-hid', '--mode', 'flat-single', ...argv], io);
  expect(code, io.err).toBe(0);
  return JSON.parse(io.out) as Record<string, unknown>;
}

describe('station scanner capture JSON', () => {
  it('has the same fields in station and --standalone modes, and the hash is that of the written image', async () => {
    const tmp = tempDir('station-cli-');
    cleanups.push(() => tmp.remove());
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    await station.app.listen({ host: '127.0.0.1', port: 0 });
    const address = station.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const viaStation = await captureJson(['--out', 'station.png', '--url', url], tmp.dir);

    writeFileSync(
      path.join(tmp.dir, 'station.json'),
      JSON.stringify({ dataDir: 'var', devices: { fingerprintSerial: { mode: 'disabled' } } }),
    );
    const standalone = await captureJson(
      ['--out', 'standalone.png', '--standalone', '--config', 'station.json'],
      tmp.dir,
    );

    expect(keyPaths(standalone)).toEqual(keyPaths(viaStation));
    for (const answer of [viaStation, standalone]) {
      expect(answer).toMatchObject({
        scanner: 'scanner-hid',
        format: 'png',
        mode: 'flat-single',
        width: 500,
        height: 500,
        ppi: 500,
        use: 'enrollment',
        device: { model: 'SIM-FAP60' },
        attestation: { nonce: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      const pixels = (await decodeGreyPng(readFileSync(String(answer.file)))).pixels;
      expect(answer.sha256).toBe(createHash('sha256').update(pixels).digest('hex'));
    }
  });
});
