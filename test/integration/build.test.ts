/**
 * The compiled build (issue 21, part 9): `npm run build` leaves no path to a TypeScript source in
 * dist/, and the built station and CLI run on Node.js alone, worker threads and the embedded central's
 * child process included.
 *
 * "Alone" is enforced, not assumed: every process runs with NODE_OPTIONS carrying a module hook (in the
 * main thread, in each worker thread, which inherits it, and in child processes, through the
 * environment) that refuses to resolve tsx or any `.ts` file, and `--no-experimental-strip-types`, so
 * Node's own type stripping cannot quietly load a source either. The hook logs every module of ours it
 * resolves, which shows each worker's module came from dist/.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATION_VERSION } from '../../station/version.ts';
import { createPacketTestPki, privateKeyPem, toPem } from '../support/packet-keys.ts';
import { tempDir } from '../support/station.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST = path.join(ROOT, 'dist');
const run = promisify(execFile);

/** The hook: logs our modules as `<pid> <thread> <url>`, and refuses tsx and TypeScript sources. */
const GUARD = `import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { threadId } from 'node:worker_threads';
const log = process.env.BUILD_TEST_MODULE_LOG;
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    const url = resolved.url;
    if (/\\/node_modules\\/tsx\\//.test(url) || /\\.[cm]?ts$/.test(new URL(url).pathname)) {
      appendFileSync(log, \`\${process.pid} \${threadId} REFUSED \${url}\\n\`);
      throw new Error(\`build test: the build loaded \${url}\`);
    }
    if (url.startsWith('file:') && !url.includes('/node_modules/')) appendFileSync(log, \`\${process.pid} \${threadId} \${url}\\n\`);
    return resolved;
  },
});
`;

let tmp: ReturnType<typeof tempDir>;
let moduleLog: string;

/** The environment of a built process: no inherited loader options, the guard and its log. */
function builtEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _inherited, ...env } = process.env;
  return {
    ...env,
    NODE_OPTIONS: `--import=${pathToFileURL(path.join(tmp.dir, 'guard.mjs')).href} --no-experimental-strip-types`,
    BUILD_TEST_MODULE_LOG: moduleLog,
    ...extra,
  };
}

/** The log's module URLs as paths relative to the checkout (`dist/station/main.js`), REFUSED lines kept. */
function loggedModules(): string[] {
  if (!existsSync(moduleLog)) return [];
  const root = pathToFileURL(ROOT).href;
  return readFileSync(moduleLog, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' ').slice(2).join(' ').replace(`${root}/`, ''));
}

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else yield full;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  tmp = tempDir('station-build-');
  moduleLog = path.join(tmp.dir, 'modules.log');
  writeFileSync(path.join(tmp.dir, 'guard.mjs'), GUARD);
  // The build the station and the CLI run: made now unless dist/ is already newer than the sources.
  await run(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, timeout: 240_000 });
}, 250_000);

afterAll(() => tmp?.remove());

describe('npm run build', () => {
  it('compiles every source the station loads, with source maps, and no path to a .ts file or tsx', () => {
    const built = [...files(DIST)];
    const scripts = built.filter((file) => file.endsWith('.js'));
    for (const entry of ['station/main.js', 'station/cli/bin.js', 'simulators/central/main.js'])
      expect(scripts).toContain(path.join(DIST, entry));
    expect(scripts.length).toBeGreaterThan(200);
    const offending: string[] = [];
    for (const file of scripts) {
      const text = readFileSync(file, 'utf8');
      // Comments are stripped by the build (removeComments), so a quoted path ending in .ts is code:
      // an import specifier, a worker's module, a child's entry. (A message naming a source file for
      // a person, with spaces around it, is not a path.)
      for (const match of text.matchAll(/(["'`])([^"'`\s]*\.[cm]?ts)\1/g))
        offending.push(`${path.relative(DIST, file)}: ${match[2]}`);
      if (/\bfrom\s*["']tsx|\bimport\(\s*["']tsx/.test(text))
        offending.push(`${path.relative(DIST, file)}: imports tsx`);
      if (!existsSync(`${file}.map`)) offending.push(`${path.relative(DIST, file)}: no source map`);
      else expect(text).toContain(`//# sourceMappingURL=${path.basename(file)}.map`);
    }
    expect(offending).toEqual([]);
    // The .mjs entries that register tsx for workers are for the sources only.
    expect(built.filter((file) => file.endsWith('.mjs') || file.endsWith('.ts'))).toEqual([]);
  });
});

describe('source maps', () => {
  it('make a stack trace from the build name the TypeScript source line', async () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(path.join(DIST, 'drivers/runtime-url.js')).href)});
try { m.siblingModule('./x', 'file:///no-extension'); } catch (error) { process.stdout.write(error.stack); }`;
    const { stdout } = await run(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', script],
      { cwd: tmp.dir, env: builtEnv() },
    );
    expect(stdout).toContain('has no file extension');
    // `at Module.siblingModule (<checkout>/drivers/runtime-url.ts:LINE:COLUMN)`, not the .js.
    expect(stdout).toContain(`${path.join(ROOT, 'drivers', 'runtime-url.ts')}:`);
  });
});

describe('the built station without tsx', () => {
  let station: ChildProcess | undefined;
  afterAll(async () => {
    if (station?.exitCode === null && station.pid !== undefined) {
      const exited = new Promise((resolve) => station?.once('exit', resolve));
      station.kill('SIGTERM');
      await exited;
    }
  });

  it('serves /health, and its worker threads and central child process load dist/ modules', async () => {
    const port = await freePort();
    const configFile = path.join(tmp.dir, 'station.json');
    writeFileSync(configFile, JSON.stringify({ server: { port }, dataDir: 'data', log: { level: 'warn' } }));
    const child = spawn(process.execPath, ['--enable-source-maps', 'dist/station/main.js'], {
      cwd: ROOT,
      env: builtEnv({ STATION_CONFIG: configFile }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    station = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });

    const expected = [
      'dist/station/main.js',
      'dist/station/hotpath/worker.js',
      'dist/simulators/card/dg3-worker.js',
      'dist/simulators/camera/render-worker.js',
      'dist/simulators/central/main.js',
      'dist/simulators/central/open-worker.js',
    ];
    let health: { status?: unknown; version?: unknown } | undefined;
    const started = Date.now();
    while (Date.now() - started < 150_000) {
      if (child.exitCode !== null) throw new Error(`the built station exited ${child.exitCode}: ${stderr}`);
      if (health === undefined) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/health`, {
            signal: AbortSignal.timeout(2000),
          });
          const body = (await response.json()) as { status?: unknown; version?: unknown };
          // The startup gate answers `starting` until the service is built; wait for the service's own.
          if (response.status === 200 && body.status !== 'starting') health = body;
        } catch {
          // not listening yet
        }
      }
      const loaded = loggedModules();
      if (health !== undefined && expected.every((m) => loaded.includes(m))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(health).toMatchObject({ status: 'ok', version: STATION_VERSION });
    const loaded = loggedModules();
    expect(expected.filter((m) => !loaded.includes(m))).toEqual([]);
    expect(loaded.filter((m) => m.includes('REFUSED') || !m.startsWith('dist/'))).toEqual([]);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 200_000);
});

describe('the built CLI without tsx', () => {
  it('answers --version without loading the command table, directly and through the launcher entry', async () => {
    writeFileSync(moduleLog, '');
    const direct = await run(process.execPath, [path.join(DIST, 'station/cli/bin.js'), '--version'], {
      cwd: tmp.dir,
      env: builtEnv(),
    });
    expect(direct.stdout).toBe(`${STATION_VERSION}\n`);
    expect(loggedModules()).toContain('dist/station/cli/bin.js');
    expect(loggedModules()).not.toContain('dist/station/cli/main.js');

    // What the `station` launcher and `npx station` run: with the build current, the build.
    writeFileSync(moduleLog, '');
    const launcher = await run(process.execPath, [path.join(ROOT, 'station/cli/bin.mjs'), '--version'], {
      cwd: tmp.dir,
      env: builtEnv(),
    });
    expect(launcher.stdout).toBe(`${STATION_VERSION}\n`);
    expect(loggedModules()).toContain('dist/station/cli/bin.js');
    expect(loggedModules().filter((m) => m.includes('REFUSED'))).toEqual([]);
  }, 60_000);

  it('builds a packet for a simulated applicant on the hot-path and packet worker threads', async () => {
    const pki = await createPacketTestPki();
    const key = path.join(tmp.dir, 'station.key');
    writeFileSync(key, privateKeyPem(pki.station.privateKey), { mode: 0o600 });
    writeFileSync(
      path.join(tmp.dir, 'station.crt'),
      toPem(pki.station.certificate) + toPem(pki.stationCa.certificate),
    );
    writeFileSync(path.join(tmp.dir, 'central.crt'), pki.central.certificate);
    writeFileSync(moduleLog, '');
    const args = ['--station-key', key, '--station-cert', 'station.crt', '--to', 'central.crt'];
    const { stdout } = await run(
      process.execPath,
      [path.join(DIST, 'station/cli/bin.js'), 'packet', 'build', '--sample', '3', ...args, '--out', 'p.cms'],
      { cwd: tmp.dir, env: builtEnv(), timeout: 170_000 },
    );
    const result = JSON.parse(stdout) as { bytes: number; images: number };
    expect(result.bytes).toBe(readFileSync(path.join(tmp.dir, 'p.cms')).length);
    expect(result.images).toBeGreaterThan(0);
    const loaded = loggedModules();
    expect(loaded).toContain('dist/station/hotpath/worker.js');
    expect(loaded).toContain('dist/station/packets/worker.js');
    expect(loaded.filter((m) => m.includes('REFUSED') || !m.startsWith('dist/'))).toEqual([]);
  }, 180_000);
});
