/** A CliIo that records what a command prints, for tests of `station ...` commands. */
import type { CliIo } from '../../station/cli/command.ts';

export function recordingIo(
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = {},
): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    cwd,
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}
