#!/usr/bin/env node
/**
 * Entry of the `station` command as built (`dist/station/cli/bin.js`, issue 21 part 9): plain
 * JavaScript on Node.js, no TypeScript loader. station/cli/bin.mjs starts it when the build is current
 * (and runs the sources through tsx otherwise); it can also be run directly.
 *
 * Under another Node.js than the pinned one (e.g. the system's), it runs itself again on the checkout's
 * pinned runtime when that is installed, and otherwise says how to install it. The CLI is imported
 * only after that check, so a wrong runtime never loads a native addon built for another ABI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHECKOUT_URL } from '../../drivers/runtime-url.ts';
import { PINNED_NODE_VERSION, runtimeProblem } from '../runtime.ts';

// Stack traces name the .ts lines (tsconfig.build.json writes source maps); set before the CLI loads.
process.setSourceMapsEnabled(true);

if (runtimeProblem(process.versions.node) !== undefined) {
  const node = fileURLToPath(new URL(`.runtime/node-v${PINNED_NODE_VERSION}/bin/node`, CHECKOUT_URL));
  if (!existsSync(node)) {
    process.stderr.write(
      `station: this is Node.js ${process.versions.node}; the station runs on Node.js ${PINNED_NODE_VERSION}, which is not installed in this checkout. Run 'npm run setup'.\n`,
    );
    process.exit(1);
  }
  const again = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (again.signal) process.kill(process.pid, again.signal);
  process.exit(again.status ?? 1);
}

const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === '-v') {
  // Answered before the command table loads: main.ts imports every command module, and with them
  // fastify, sharp, the ASN.1 and X.509 stacks (about 1 s of CPU); a version check needs none of it.
  const { STATION_VERSION } = await import('../version.ts');
  process.stdout.write(`${STATION_VERSION}\n`);
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(argv);
}
