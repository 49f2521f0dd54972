/**
 * The Node.js runtime the station is pinned to (scripts/runtime.env, installed by `npm run setup`
 * under .runtime/), and the check that refuses to start on another. A station started by hand with
 * the system's Node.js would run an end-of-life runtime, and the PC/SC addon, compiled for the pinned
 * runtime's ABI, would fail to load only when a card reader is first opened.
 */
import { readFileSync } from 'node:fs';
import { CHECKOUT_URL } from '../drivers/runtime-url.ts';

/** The pinned version, e.g. `24.22.3`, read from scripts/runtime.env. */
export const PINNED_NODE_VERSION: string = (() => {
  const text = readFileSync(new URL('scripts/runtime.env', CHECKOUT_URL), 'utf8');
  const version = /^NODE_RUNTIME_VERSION=(\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1];
  if (version === undefined) throw new Error('scripts/runtime.env has no NODE_RUNTIME_VERSION=x.y.z line');
  return version;
})();

function parts(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map(Number);
  return [major, minor, patch];
}

/**
 * Why `running` cannot run the station, or undefined when it can: the same major version as the
 * pinned one (the addons' ABI) and not older than it (its security fixes).
 */
export function runtimeProblem(running: string, pinned: string = PINNED_NODE_VERSION): string | undefined {
  const have = parts(running);
  const want = parts(pinned);
  const older = have[0] === want[0] && (have[1] < want[1] || (have[1] === want[1] && have[2] < want[2]));
  if (have[0] === want[0] && !older) return undefined;
  return (
    `this is Node.js ${running.replace(/^v/, '')}, but the station runs on Node.js ${pinned} ` +
    `(scripts/runtime.env). Start it with 'npm start' or the 'station' command, which use the ` +
    `runtime in .runtime/; if that is missing, run 'npm run setup'.`
  );
}
