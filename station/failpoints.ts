/**
 * Named crash points for the outbox soak (issue 18, `npm run soak:outbox`). With
 * `STATION_FAILPOINT=<name>` in the environment (a comma-separated list is allowed), the process
 * kills itself with SIGKILL the first time it reaches that point, after writing one line to stderr
 * (`failpoint: <name>`) so the harness can count the hits. Without the variable a failpoint is one
 * Set lookup: it stays in production code, where the crash it simulates can really happen.
 *
 * Names in use (keep in step with scripts/soak-outbox.ts):
 * - `outbox.after-tmp-fsync`: a packet's temporary file is durable, not yet renamed into the queue
 * - `outbox.after-rename`: the packet is in the queue; the enqueue has not returned
 * - `outbox.after-receipt-before-move`: the receipt is durable, the packet still in queue/
 * - `outbox.after-receipt-before-purge`: acknowledged, the purge of the packet has not run
 * - `uploader.after-create`: central created the upload; its URL is not yet stored
 * - `uploader.after-commit-before-receipt`: the last PATCH was sent; its answer is not yet read
 */
import { writeSync } from 'node:fs';

export type FailpointName =
  | 'outbox.after-tmp-fsync'
  | 'outbox.after-rename'
  | 'outbox.after-receipt-before-move'
  | 'outbox.after-receipt-before-purge'
  | 'uploader.after-create'
  | 'uploader.after-commit-before-receipt';

let armed: ReadonlySet<string> | undefined;

function armedSet(): ReadonlySet<string> {
  armed ??= new Set(
    (process.env.STATION_FAILPOINT ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  return armed;
}

/** Kills the process with SIGKILL when `name` is armed by STATION_FAILPOINT; otherwise returns. */
export function failpoint(name: FailpointName): void {
  if (!armedSet().has(name)) return;
  try {
    writeSync(2, `failpoint: ${name}\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}

/** For tests in one process: re-read STATION_FAILPOINT on the next call. */
export function resetFailpoints(): void {
  armed = undefined;
}
