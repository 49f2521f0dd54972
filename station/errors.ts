/** The station layer's error catalogue (STYLE.md, errors). */

import type { ErrorObject } from 'ajv';
import { describeSchemaErrors } from './schema-problems.ts';

export type StationErrorCode =
  | 'REQUEST_INVALID'
  | 'PORT_IN_USE'
  | 'PORT_NOT_PERMITTED'
  | 'ADDRESS_NOT_AVAILABLE'
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

/**
 * An HTTP request that its route's schema refuses (answered 400). `problems` names each bad key as a
 * JSON pointer under the part of the request (`body/mode`), with the allowed values or keys.
 */
export class RequestInvalidError extends StationError {
  override readonly name = 'RequestInvalidError';
  readonly statusCode = 400;
  readonly problems: readonly ConfigProblem[];
  /** What the officer's screen shows: the refused fields, Vietnamese first. */
  readonly messages: OfficerMessages;

  constructor(part: string, errors: readonly ErrorObject[]) {
    const problems = describeSchemaErrors(errors, part);
    const lines = problems.map((p) => `${p.key}: ${p.message}`);
    super('REQUEST_INVALID', `Invalid request: ${lines.join('; ')}`);
    this.problems = problems;
    const keys = problems.map((p) => p.key).join(', ');
    this.messages = {
      vi: `Yêu cầu không hợp lệ ở: ${keys}. Kiểm tra lại các trường này.`,
      en: `Invalid request at: ${keys}. Check these fields.`,
    };
  }
}

/** An officer-facing message in both languages, Vietnamese first. */
export interface OfficerMessages {
  readonly vi: string;
  readonly en: string;
}

/** The officer's words for the answers the HTTP service gives by itself (no route's own). */
export const GENERIC_MESSAGES = {
  NOT_FOUND: {
    vi: 'Không có chức năng này trên trạm. Kiểm tra lại địa chỉ.',
    en: 'The station has no such function. Check the address.',
  },
  BAD_REQUEST: {
    vi: 'Yêu cầu không hợp lệ. Thử lại; nếu vẫn lỗi, báo cán bộ kỹ thuật.',
    en: 'The request is not valid. Try again; if it persists, call technical support.',
  },
  INTERNAL: {
    vi: 'Trạm gặp lỗi nội bộ. Thử lại; nếu vẫn lỗi, báo cán bộ kỹ thuật.',
    en: 'The station failed. Try again; if it persists, call technical support.',
  },
} as const satisfies Record<string, OfficerMessages>;

/** The service could not listen where it is configured to (checked before any device is opened). */
export class ListenError extends StationError {
  override readonly name = 'ListenError';
  readonly host: string;
  readonly port: number;
  constructor(
    code: Extract<StationErrorCode, 'PORT_IN_USE' | 'PORT_NOT_PERMITTED' | 'ADDRESS_NOT_AVAILABLE'>,
    host: string,
    port: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.host = host;
    this.port = port;
  }
}
