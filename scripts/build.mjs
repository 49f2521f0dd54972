// `npm run build`: compiles the station, its drivers, protocol code and simulators to JavaScript in
// dist/ (tsconfig.build.json: same relative places, `./x.ts` imports rewritten to `./x.js`, source
// maps), copies the non-TypeScript files they load by path, and stamps the build. `npm start`, the
// `station` command and setup run the build; tests and benchmarks keep running the sources.
//
//   node scripts/build.mjs              build now
//   node scripts/build.mjs --if-stale   build only when dist/ is missing or older than the sources
//
// Plain JavaScript with no dependencies, so station/cli/bin.mjs can ask `buildState()` before any
// loader runs. The new build is written beside dist/ and swapped in whole, so a failed compile
// leaves the previous build in place and a deleted source leaves no orphan .js behind.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What tsconfig.build.json compiles: whatever the station and the CLI load at run time. */
export const SOURCE_DIRS = ['station', 'drivers', 'protocol', 'simulators'];
/** Files outside SOURCE_DIRS whose change changes the build. */
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'];
export const DIST = path.join(ROOT, 'dist');
/** Written last by a successful build: when it started (ms since 1970) and with what. */
export const STAMP = path.join(DIST, '.build-stamp.json');

/** The officer's screen: bundled by esbuild into dist/ui/, not compiled file by file. */
export const UI_DIR = path.join(ROOT, 'station', 'ui');

/** Files of a source folder that the build does not carry: docs, the screen's sources, and the tsx-only launchers. */
function isSourceOnly(file) {
  if (file.endsWith('.md')) return true;
  if (file.startsWith(`${UI_DIR}${path.sep}`)) return true;
  // The .mjs entries that register tsx exist only to run the sources (drivers/runtime-url.ts).
  return file.endsWith('.mjs') && /['"]tsx\//.test(readFileSync(file, 'utf8'));
}

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/**
 * Whether dist/ can run: `{ state: 'current' }`, `{ state: 'missing' }`, or `{ state: 'stale', file }`
 * naming a source changed since the build started. A checkout without sources (a copied dist/) is
 * current. Costs one stat per source file (a few ms).
 */
export function buildState() {
  let started;
  try {
    started = JSON.parse(readFileSync(STAMP, 'utf8')).startedMs;
  } catch {
    return { state: 'missing' };
  }
  if (typeof started !== 'number') return { state: 'missing' };
  const candidates = [...CONFIG_FILES.map((f) => path.join(ROOT, f))];
  for (const dir of SOURCE_DIRS) candidates.push(...walk(path.join(ROOT, dir)));
  for (const file of candidates) {
    let mtime;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      continue;
    }
    if (mtime > started && !file.endsWith('.md')) return { state: 'stale', file: path.relative(ROOT, file) };
  }
  return { state: 'current' };
}

/**
 * Bundles the officer's screen (station/ui/main.tsx with its stylesheet) into `<out>/ui/`: app.js,
 * app.css, their source maps and index.html; nothing of it is fetched at run time. esbuild is loaded
 * here only, so buildState() stays free of dependencies.
 * @returns the files written.
 */
function bundleUi(out, log) {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const target = path.join(out, 'ui');
  mkdirSync(target, { recursive: true });
  esbuild.buildSync({
    entryPoints: { app: path.join(UI_DIR, 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: 'linked',
    legalComments: 'linked',
    outdir: target,
    logLevel: 'error',
  });
  copyFileSync(path.join(UI_DIR, 'index.html'), path.join(target, 'index.html'));
  const gzipped = ['app.js', 'app.css'].reduce(
    (sum, name) => sum + gzipSync(readFileSync(path.join(target, name))).length,
    0,
  );
  log(`[build] the screen: dist/ui/app.js + app.css, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
  return readdirSync(target).length;
}

/**
 * Compiles into a fresh folder, copies the assets, stamps it and swaps it in for dist/.
 * @returns the process exit code: 0, or tsc's own when the compile failed (dist/ is then unchanged).
 */
export function build(log = (line) => process.stderr.write(`${line}\n`)) {
  const startedMs = Date.now();
  const next = path.join(ROOT, `dist.building-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', '.bin', 'tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      next,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (tsc.error !== undefined || !existsSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'))) {
    log("[build] TypeScript's compiler is not installed in node_modules; run 'npm run setup'");
    return 1;
  }
  if (tsc.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    log(`[build] tsc failed (exit ${tsc.status ?? tsc.signal}); dist/ is unchanged`);
    return tsc.status || 1;
  }
  let assets = 0;
  for (const dir of SOURCE_DIRS) {
    for (const file of walk(path.join(ROOT, dir))) {
      if (file.endsWith('.ts') || isSourceOnly(file)) continue;
      const target = path.join(next, path.relative(ROOT, file));
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(file, target);
      assets++;
    }
  }
  try {
    assets += bundleUi(next, log);
  } catch (error) {
    rmSync(next, { recursive: true, force: true });
    log(
      `[build] the screen's bundle failed (${error instanceof Error ? error.message : String(error)}); dist/ is unchanged`,
    );
    return 1;
  }
  writeFileSync(
    path.join(next, path.basename(STAMP)),
    `${JSON.stringify({ startedMs, node: process.version, tookMs: Date.now() - startedMs })}\n`,
  );
  // Swapped in by two renames; a build running at the same time (two test files starting the station
  // on a stale build) may swap its own in between: both compiled the same sources, so either is good.
  const old = path.join(ROOT, `dist.old-${process.pid}`);
  try {
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(next, DIST);
  } catch (error) {
    if (!existsSync(STAMP)) throw error;
    log('[build] another build finished at the same time; keeping it');
  }
  rmSync(old, { recursive: true, force: true });
  rmSync(next, { recursive: true, force: true });
  log(
    `[build] dist/ built in ${((Date.now() - startedMs) / 1000).toFixed(1)} s (${assets} non-TypeScript file${assets === 1 ? '' : 's'} copied)`,
  );
  return 0;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => a !== '--if-stale');
  if (unknown !== undefined) {
    process.stderr.write(`build: unknown option '${unknown}' (expected --if-stale or nothing)\n`);
    process.exit(2);
  }
  if (args.includes('--if-stale')) {
    const state = buildState();
    if (state.state === 'current') process.exit(0);
    process.stderr.write(
      state.state === 'missing'
        ? '[build] dist/ has no build yet; building it (npm run build)\n'
        : `[build] ${state.file} changed since the last build; building dist/ again (npm run build)\n`,
    );
  }
  process.exit(build());
}
