/**
 * The driver layer's error catalogue (STYLE.md, errors). Every port and driver rejects with one of
 * these; callers branch on `code`, never on message text.
 */

import type { DeviceState } from './device.ts';

export type DriverErrorCode =
  | 'DEVICE_CANCELED'
  | 'DEVICE_BUSY'
  | 'DEVICE_TIMEOUT'
  | 'DEVICE_DISCONNECTED'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_PERMISSION_DENIED'
  | 'DEVICE_PROTOCOL'
  | 'DEVICE_UNAVAILABLE'
  | 'DEVICE_REPORTED_ERROR'
  | 'DEVICE_INTEGRITY'
  | 'DEVICE_UNTRUSTED'
  | 'CARD_REMOVED';

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

/**
 * No card in the reader: it was pulled (also in the middle of an exchange) or never inserted. The
 * reader itself stays usable; the next card gets a new session.
 */
export class CardRemovedError extends DriverError {
  override readonly name = 'CardRemovedError';
  constructor(
    message = 'The card was removed from the reader; insert it again',
    fields: DriverErrorFields = {},
  ) {
    super('CARD_REMOVED', message, fields);
  }
}

/** The device family's native support cannot run on this machine (library missing, no kernel support). */
export class DeviceUnavailableError extends DriverError {
  override readonly name = 'DeviceUnavailableError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super('DEVICE_UNAVAILABLE', message, fields);
  }
}

/**
 * The device broke its protocol: a malformed or out-of-sequence message, an answer to another
 * command. The driver resynchronises before the next exchange.
 */
export class ProtocolError extends DriverError {
  override readonly name = 'ProtocolError';
  /** Byte offset of the problem in the message, when a decoder reported one. */
  readonly offset: number | undefined;
  constructor(message: string, fields: DriverErrorFields & { offset?: number } = {}) {
    super('DEVICE_PROTOCOL', message, fields);
    this.offset = fields.offset;
  }
}

/** The device answered with an error of its own (a stable device code, e.g. NO_FINGER_TIMEOUT). */
export class DeviceReportedError extends DriverError {
  override readonly name = 'DeviceReportedError';
  readonly deviceCode: string;
  readonly detail: string;
  constructor(deviceCode: string, message: string, fields: DriverErrorFields & { detail?: string } = {}) {
    super('DEVICE_REPORTED_ERROR', message, fields);
    this.deviceCode = deviceCode;
    this.detail = fields.detail ?? '';
  }
}

/** Data arrived but failed its integrity check (CRC, device signature): it must not be used. */
export class IntegrityError extends DriverError {
  override readonly name = 'IntegrityError';
  readonly check: 'crc' | 'signature' | 'checksum';
  constructor(check: 'crc' | 'signature' | 'checksum', message: string, fields: DriverErrorFields = {}) {
    super('DEVICE_INTEGRITY', message, fields);
    this.check = check;
  }
}

/** The device's certificate does not chain to a trusted CA, or is not valid now. */
export class UntrustedDeviceError extends DriverError {
  override readonly name = 'UntrustedDeviceError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super('DEVICE_UNTRUSTED', message, fields);
  }
}

/** Rejects with CanceledError if the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new CanceledError('The operation was canceled before it started', { cause: signal.reason });
}

/** The state a device goes to after `error` ended its connection: disconnected, or in error. */
export function stateAfterFailure(error: unknown): DeviceState {
  if (error instanceof DisconnectedError) return { status: 'disconnected', reason: error.message };
  if (error instanceof DriverError) return { status: 'error', code: error.code, message: error.message };
  return { status: 'error', code: 'DEVICE_UNAVAILABLE', message: String(error) };
}

/**
 * The state a pluggable device (a scanner) goes to after `error`: as stateAfterFailure, except that a
 * device that is not there (DEVICE_NOT_FOUND: no such path, nothing listed) is `disconnected`, not in
 * error, since it may be plugged in at any moment.
 */
export function stateAfterLoss(error: unknown): DeviceState {
  if (error instanceof DriverError && error.code === 'DEVICE_NOT_FOUND')
    return { status: 'disconnected', reason: error.message };
  return stateAfterFailure(error);
}

/** The error for a call on a device that is not ready: DisconnectedError, or DEVICE_UNAVAILABLE. */
export function notReadyError(what: string, state: DeviceState): DriverError {
  if (state.status === 'disconnected')
    return new DisconnectedError(`${what} is disconnected: ${state.reason}`);
  const why = state.status === 'error' ? `${state.status}: ${state.message}` : state.status;
  return new DriverError('DEVICE_UNAVAILABLE', `${what} is not ready (${why})`);
}
