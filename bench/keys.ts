import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openOrCreateStationKey, openStationKey, type StationKey } from '../station/keys/station-key.ts';
import { createSoftHsmToken, type SoftHsmToken } from '../test/support/softhsm.ts';
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
let hsm: SoftHsmToken | undefined;
try {
  const file = await openOrCreateStationKey(path.join(dir, 'station.key'));
  const fileSign = await timeSign(file.key);
  await file.key.close();

  hsm = createSoftHsmToken({ label: 'bench', pin: '1234', soPin: '5678', prefix: 'bench-keys-' });
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
  hsm?.remove();
}
