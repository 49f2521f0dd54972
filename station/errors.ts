/** The station layer's error catalogue (STYLE.md, errors). */

export type StationErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_NOT_JSON'
  | 'CONFIG_PRODUCTION_UNSAFE';

/** One problem in a configuration file, located by its JSON pointer (`/server/port`). */
export interface ConfigProblem {
  /** JSON pointer to the offending key; `` (empty) for the document itself. */
  readonly key: string;
  /** What is wrong and what to do, naming the allowed values where there is a fixed set. */
  readonly message: string;
  /** The allowed values, when the key takes one of a fixed set. */
  readonly allowed?: readonly (string | number | boolean)[];
}

export class StationError extends Error {
  override readonly name: string = 'StationError';
  readonly code: StationErrorCode;
  constructor(code: StationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export class ConfigError extends StationError {
  override readonly name = 'ConfigError';
  /** The file the problems were found in, or undefined for an in-memory config. */
  readonly file: string | undefined;
  readonly problems: readonly ConfigProblem[];

  constructor(
    code: Extract<StationErrorCode, `CONFIG_${string}`>,
    file: string | undefined,
    problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    const where = file === undefined ? 'configuration' : `configuration file ${file}`;
    const lines = problems.map((p) => `  ${p.key === '' ? '(document)' : p.key}: ${p.message}`);
    super(code, `Invalid ${where}:\n${lines.join('\n')}`, options);
    this.file = file;
    this.problems = problems;
  }
}
