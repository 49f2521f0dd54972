/**
 * A pty pair from socat: two linked serial lines, so the native serialport binding is exercised
 * end to end with no hardware. socat is installed by `npm run setup:test`; without it the test fails
 * saying so (it never skips).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  /** Stops socat: both lines go away. */
  stop(): Promise<void>;
}

export async function startPtyPair(): Promise<PtyPair> {
  if (spawnSync('socat', ['-V']).error)
    throw new Error('socat is not installed: run `npm run setup:test` (it installs socat from apt)');
  const dir = mkdtempSync(path.join(tmpdir(), 'cccd-pty-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++)
    await new Promise((r) => setTimeout(r, 20));
  if (!(existsSync(a) && existsSync(b))) {
    child.kill();
    throw new Error('socat did not create the pty pair within 2 s');
  }
  return {
    a,
    b,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
