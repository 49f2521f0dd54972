/**
 * npm run bench:camera: the camera and face figures of issue 19, each measured by the part that owns
 * it (bench/camera-parts/*.ts, each exporting `run()`), written together to
 * bench/results/camera.json. Targets (issue 19):
 * - classical live assessment per 640x480 frame, one core: <= 66 ms p95 (>= 15 fps);
 * - age of face-dependent measures on the live screen: <= 400 ms;
 * - detection + landmarks on capture: <= 300 ms median;
 * - portrait crop + encode to <= 20 KB: <= 50 ms;
 * - DG2 against the live capture (its descriptor already computed): <= 600 ms;
 * - QR decode from a 1280x720 frame: <= 100 ms p95;
 * - resident memory with the models loaded: reported.
 * `BENCH_CAMERA_PARTS=quality,qr` runs only those parts. This VM's 2 cores are shared and noisy:
 * measure again on the station's hardware.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const partsDir = path.join(import.meta.dirname, 'camera-parts');
const wanted = process.env.BENCH_CAMERA_PARTS?.split(',').map((p) => p.trim());
const parts = readdirSync(partsDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted === undefined || wanted.includes(name))
  .sort();

const results: Record<string, unknown> = {};
for (const name of parts) {
  const started = performance.now();
  const part = (await import(pathToFileURL(path.join(partsDir, `${name}.ts`)).href)) as {
    run?: () => Promise<Record<string, unknown>>;
  };
  if (typeof part.run !== 'function') throw new TypeError(`bench/camera-parts/${name}.ts exports no run()`);
  console.log(`bench:camera: ${name} ...`);
  results[name] = { ...(await part.run()), wallSeconds: +((performance.now() - started) / 1000).toFixed(1) };
  console.log(JSON.stringify(results[name], null, 2));
}

const result = {
  benchmark: 'camera',
  date: new Date().toISOString(),
  node: process.version,
  machine: `${os.cpus().length} cores, shared and noisy: figures vary from run to run`,
  loadAverage1m: os.loadavg()[0],
  parts: results,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/camera.json', `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/camera.json');
