/**
 * The driver layer's error catalogue (STYLE.md, errors). Every port and driver rejects with one of
 * these; callers branch on `code`, never on message text.
 */

export type DriverErrorCode =
  | 'DEVICE_CANCELED'
  | 'DEVICE_BUSY'
  | 'DEVICE_TIMEOUT'
  | 'DEVICE_DISCONNECTED'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_PERMISSION_DENIED'
  | 'DEVICE_PROTOCOL'
  | 'DEVICE_UNAVAILABLE';

export interface DriverErrorFields {
  /** OS path or reader name of the device, when there is one. */
  readonly devicePath?: string;
  readonly cause?: unknown;
}

export class DriverError extends Error {
  override readonly name: string = 'DriverError';
  readonly code: DriverErrorCode;
  readonly devicePath: string | undefined;

  constructor(code: DriverErrorCode, message: string, fields: DriverErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.devicePath = fields.devicePath;
  }
}

/** A pending call was canceled: its AbortSignal fired, or the device was closed under it. */
export class CanceledError extends DriverError {
  override readonly name = 'CanceledError';
  constructor(message = 'The operation was canceled', fields: DriverErrorFields = {}) {
    super('DEVICE_CANCELED', message, fields);
  }
}

/** The device already has an exchange in flight; one at a time per device. */
export class BusyError extends DriverError {
  override readonly name = 'BusyError';
  constructor(
    message = 'The device is busy with another operation; wait for it to finish',
    fields: DriverErrorFields = {},
  ) {
    super('DEVICE_BUSY', message, fields);
  }
}

/** The device did not answer within the allowed time. */
export class DeviceTimeoutError extends DriverError {
  override readonly name = 'DeviceTimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number, message: string, fields: DriverErrorFields = {}) {
    super('DEVICE_TIMEOUT', message, fields);
    this.timeoutMs = timeoutMs;
  }
}

/** The device went away (unplugged, card pulled, cable cut). */
export class DisconnectedError extends DriverError {
  override readonly name = 'DisconnectedError';
  constructor(message = 'The device was disconnected', fields: DriverErrorFields = {}) {
    super('DEVICE_DISCONNECTED', message, fields);
  }
}

/** The device family's native support cannot run on this machine (library missing, no kernel support). */
export class DeviceUnavailableError extends DriverError {
  override readonly name = 'DeviceUnavailableError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super('DEVICE_UNAVAILABLE', message, fields);
  }
}

/** Rejects with CanceledError if the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new CanceledError('The operation was canceled before it started', { cause: signal.reason });
}
