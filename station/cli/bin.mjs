#!/usr/bin/env node
// Entry of the `station` command (the launcher setup writes, `npx station`, `npm run station`): checks
// the runtime, then runs the compiled CLI (dist/station/cli/bin.js, no TypeScript loader) when
// `npm run build` is current, else the sources through tsx, so the command never runs code older than
// the checkout's. Under another Node.js than the pinned one (e.g. `npx station` with the system's
// Node.js), it runs itself again on the checkout's pinned runtime when that is installed, and otherwise
// says how to install it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const runtimeEnv = readFileSync(new URL('../../scripts/runtime.env', import.meta.url), 'utf8');
const pinned = /^NODE_RUNTIME_VERSION=(\d+\.\d+\.\d+)\s*$/m.exec(runtimeEnv)?.[1];
// The same rule as station/runtime.ts: the pinned major version (the addons' ABI), not older than the pin.
const [have, want] = [process.versions.node, pinned ?? '0.0.0'].map((v) => v.split('.').map(Number));
const usable = have[0] === want[0] && (have[1] > want[1] || (have[1] === want[1] && have[2] >= want[2]));
if (pinned !== undefined && !usable) {
  const node = fileURLToPath(new URL(`../../.runtime/node-v${pinned}/bin/node`, import.meta.url));
  if (!existsSync(node)) {
    process.stderr.write(
      `station: this is Node.js ${process.versions.node}; the station runs on Node.js ${pinned}, which is not installed in this checkout. Run 'npm run setup'.\n`,
    );
    process.exit(1);
  }
  const again = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (again.signal) process.kill(process.pid, again.signal);
  process.exit(again.status ?? 1);
}

const { buildState } = await import('../../scripts/build.mjs');
const build = buildState();
if (build.state === 'current') {
  await import('../../dist/station/cli/bin.js');
} else {
  // A person at a terminal hears why this start is slower; programs reading stderr get only the CLI's.
  if (process.stderr.isTTY)
    process.stderr.write(
      build.state === 'missing'
        ? "station: no build in dist/; running the sources through tsx ('npm run build' starts faster)\n"
        : `station: ${build.file} changed since the last build; running the sources through tsx ('npm run build' starts faster)\n`,
    );
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
