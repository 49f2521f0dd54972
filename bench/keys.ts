/**
 * Signing one SignedAttributes-sized message (about 200 bytes: content type, message digest,
 * signing time, officer id, environment) with the station key, as a packet signature does:
 *
 *   file      ECDSA P-256 from a PKCS#8 file (node:crypto)
 *   softhsm2  ECDSA P-256 in a SoftHSM2 token (pkcs11js, CKM_ECDSA over SHA-256, r‖s to DER)
 *
 * so the <= 100 ms SoftHSM2 packet target can be judged (the signature is one part of it). Also the
 * one-off cost of opening the token key (load module, log in, find the key). Needs softhsm2
 * (`npm run setup:test`). Run: npm run bench:keys (BENCH_RUNS, default 500). Writes
 * bench/results/keys.json.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openOrCreateStationKey, openStationKey, type StationKey } from '../station/keys/station-key.ts';
import { type Summary, summarize } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 500);
const MESSAGE_BYTES = 200;
const WARM = 20;

async function timeSign(key: StationKey): Promise<Summary> {
  const message = randomBytes(MESSAGE_BYTES);
  for (let i = 0; i < WARM; i++) await key.sign(message);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await key.sign(message);
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-keys-'));
try {
  const file = await openOrCreateStationKey(path.join(dir, 'station.key'));
  const fileSign = await timeSign(file.key);
  await file.key.close();

  mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'bench', '--pin', '1234', '--so-pin', '5678'],
    {
      stdio: 'pipe',
    },
  );
  const uri = 'pkcs11:token=bench;object=station-sign?pin-value=1234';
  const created = await openOrCreateStationKey(uri);
  await created.key.close();
  const openSamples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    const key = await openStationKey(uri);
    openSamples.push(performance.now() - start);
    await key.close();
  }
  const token = await openStationKey(uri);
  const tokenSign = await timeSign(token);
  await token.close();
  const tokenOpen = summarize(openSamples);

  const rows = [
    ['file key, sign', fileSign],
    ['SoftHSM2, sign', tokenSign],
    ['SoftHSM2, open key (once per start)', tokenOpen],
  ] as const;
  process.stdout.write(
    `${rows.map(([name, s]) => `${name.padEnd(38)} median ${String(s.median).padStart(6)} ms   p95 ${String(s.p95).padStart(6)} ms   (n=${s.n})`).join('\n')}\n`,
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/keys.json', import.meta.url),
    `${JSON.stringify(
      {
        benchmark: 'keys',
        date: new Date().toISOString(),
        node: process.version,
        unit: 'ms',
        runs,
        messageBytes: MESSAGE_BYTES,
        notes:
          'ECDSA P-256 over SHA-256 of one SignedAttributes-sized message, DER signature out. softhsm2 is SoftHSM2 from Debian through pkcs11js (C_SignInit + C_SignAsync on the libuv pool). The packet target (<= 100 ms with SoftHSM2) covers build + sign + encrypt; the signature is this part of it.',
        fileSignMs: fileSign,
        softhsm2SignMs: tokenSign,
        softhsm2OpenKeyMs: tokenOpen,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write('wrote bench/results/keys.json\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
