/** Errors of station/packets: a capture set or a packet-build request the station cannot use. */

export type PacketStationErrorCode =
  /** The capture set is incomplete or inconsistent (`path` names the value). */
  | 'PACKET_CAPTURE_INVALID'
  /** A `--in` directory is missing a file or holds one that does not read. */
  | 'PACKET_INPUT_INVALID'
  /** The packet worker stopped or failed for a reason that is not the input's. */
  | 'PACKET_WORKER_FAILED'
  /** The builder was closed, or the build was canceled. */
  | 'PACKET_BUILD_CANCELED';

export class PacketStationError extends Error {
  override readonly name = 'PacketStationError';
  readonly code: PacketStationErrorCode;
  /** Where in the capture set (a JSON Pointer) or which file. */
  readonly path: string | undefined;
  constructor(code: PacketStationErrorCode, message: string, options: ErrorOptions & { path?: string } = {}) {
    super(message, options);
    this.code = code;
    this.path = options.path;
  }
}
