/**
 * The CLI's command model. Results a program reads go to stdout as JSON; messages go to stderr.
 * Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text shown by --help (usage line first). */
  readonly help: string;
  /** Sub-commands, for groups such as `config` or `sim`. */
  readonly subcommands?: readonly Command[];
  run?(args: readonly string[], io: CliIo): Promise<number>;
}

/** Thrown for a malformed command line; main prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type ParsedOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses options strictly (unknown options are usage errors).
 * @throws {UsageError} for unknown options, missing values, a single-value option given twice, or the
 *   wrong number of positionals.
 */
export function parse<O extends ParsedOptions>(
  args: readonly string[],
  options: O,
  positionals: { min: number; max: number },
) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true; tokens: true }>
  >;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  // parseArgs keeps the last of a repeated option; for a single-value option that silently drops what
  // the person typed first (`--in a.png --in b.png` scoring only b.png), so it is refused instead.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || options[token.name]?.multiple === true) continue;
    if (seen.has(token.name))
      throw new UsageError(`--${token.name} was given more than once; it takes a single value`);
    seen.add(token.name);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError('missing argument');
  if (count > positionals.max)
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`);
  return parsed;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A `--name N` option as a positive integer; undefined when the option was not given.
 * @throws {UsageError} when the text is not a positive integer.
 */
export function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--${name} must be a positive integer, got '${text}'`);
  return Number(text);
}
