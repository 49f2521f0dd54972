/**
 * npm run bench:wsq: WSQ encode and decode times, bit rates and PSNR (protocol/wsq/README.md).
 * Targets (NIST's C cwsq/dwsq on this VM in parentheses, shared/reference/biometrics.md §2.1):
 * encode 500x500 at 0.75 bpp <= 25 ms (29), decode 500x500 <= 25 ms (30), encode 1600x1500
 * <= 170 ms (195), decode 1600x1500 <= 250 ms (322). Writes bench/results/wsq.json.
 * BENCH_RUNS sets the timed runs per case (default 31 for 500x500, a third of that for slaps).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { decodeWsq, encodeWsq, inspectWsq, psnr } from '../protocol/wsq/index.ts';
import { renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';
import { readFixture } from '../test/support/fixtures.ts';
import { summarize, timeRuns } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 31);
const slapRuns = Math.max(3, Math.round(runs / 3));

interface Raster {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

function encodeOrThrow(image: Raster, bitRate = 0.75): Uint8Array {
  const r = encodeWsq(image.pixels, { width: image.width, height: image.height, bitRate });
  if (!r.ok) throw new Error(`encode failed: ${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

function decodeOrThrow(bytes: Uint8Array): Uint8Array {
  const r = decodeWsq(bytes);
  if (!r.ok) throw new Error(`decode failed: ${r.error.reason} at ${r.error.offset}: ${r.error.detail}`);
  return r.value.pixels;
}

/** Bits per pixel and PSNR of one image at one rate, with NIST's figures when we have them. */
function quality(name: string, image: Raster, bitRate: number, nist?: { bytes: number; psnrDb: number }) {
  const bytes = encodeOrThrow(image, bitRate);
  const decoded = decodeOrThrow(bytes);
  return {
    image: name,
    size: `${image.width}x${image.height}`,
    targetBpp: bitRate,
    bytes: bytes.length,
    bpp: Math.round(((8 * bytes.length) / (image.width * image.height)) * 1000) / 1000,
    psnrDb: Math.round(psnr(image.pixels, decoded) * 100) / 100,
    nistBytes: nist?.bytes,
    nistPsnrDb: nist?.psnrDb,
  };
}

const finger: Raster = { width: 500, height: 500, pixels: readFixture('wsq/nistFinger_500x500.raw') };
const nistFile = readFixture('wsq/nistFinger_500x500_cwsq075.wsq');
const slap = renderSlap({ personSeed: 3, hand: 'right' }).image;
const slapFile = encodeOrThrow(slap);

const times = {
  encode500x500: summarize(timeRuns(runs, 5, () => encodeOrThrow(finger))),
  decode500x500: summarize(timeRuns(runs, 5, () => decodeOrThrow(nistFile))),
  encode1600x1500: summarize(timeRuns(slapRuns, 2, () => encodeOrThrow(slap))),
  decode1600x1500: summarize(timeRuns(slapRuns, 2, () => decodeOrThrow(slapFile))),
};

const synthetic = [1, 2, 3].map((personSeed) => renderFinger({ personSeed, width: 500, height: 500 }).image);
const rates = [
  quality('nistFinger (real)', finger, 0.75, { bytes: 22036, psnrDb: 28.85 }),
  quality('nistFinger (real)', finger, 2.25, { bytes: 71194, psnrDb: 36.5 }),
  ...synthetic.map((image, i) => quality(`synthetic finger, personSeed ${i + 1}`, image, 0.75)),
  quality('synthetic slap, personSeed 3', slap, 0.75),
];
const nistInfo = inspectWsq(nistFile);

const result = {
  benchmark: 'wsq',
  date: new Date().toISOString(),
  node: process.version,
  unit: 'ms',
  targets: { encode500x500: 25, decode500x500: 25, encode1600x1500: 170, decode1600x1500: 250 },
  nistC: { encode500x500: 29.0, decode500x500: 29.7, encode1600x1500: 195.2, decode1600x1500: 321.7 },
  times,
  rates,
  nistFile: nistInfo.ok ? { bytes: nistInfo.value.bytes, bpp: nistInfo.value.bitsPerPixel } : nistInfo.error,
};

console.table(
  Object.fromEntries(
    Object.entries(times).map(([k, v]) => [
      k,
      { ...v, target: result.targets[k as keyof typeof times], nistC: result.nistC[k as keyof typeof times] },
    ]),
  ),
);
console.table(rates);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/wsq.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
