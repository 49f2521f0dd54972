/**
 * The camera's error catalogue. Each class extends the driver layer's DriverError (drivers/errors.ts)
 * with the generic code the rest of the station already branches on (DEVICE_NOT_FOUND makes a
 * pluggable device `disconnected`, not `error`: stateAfterLoss), and adds a stable camera-specific
 * `cameraCode` and a message the officer can read, Vietnamese first.
 */
import { DriverError, type DriverErrorCode, type DriverErrorFields } from '../errors.ts';

export type CameraErrorCode =
  | 'CAMERA_NOT_FOUND'
  | 'CAMERA_BUSY'
  | 'CAMERA_PERMISSION_DENIED'
  | 'CAMERA_FORMAT_UNSUPPORTED'
  | 'CAMERA_FFMPEG_MISSING'
  | 'CAMERA_FFMPEG_FAILED'
  | 'CAMERA_NO_FRAMES';

/** Text for the officer's screen: Vietnamese first, English second. */
export interface OfficerText {
  readonly vi: string;
  readonly en: string;
}

export class CameraError extends DriverError {
  override readonly name: string = 'CameraError';
  readonly cameraCode: CameraErrorCode;
  readonly officerMessage: OfficerText;

  constructor(
    code: DriverErrorCode,
    cameraCode: CameraErrorCode,
    message: string,
    officerMessage: OfficerText,
    fields: DriverErrorFields = {},
  ) {
    super(code, message, fields);
    this.cameraCode = cameraCode;
    this.officerMessage = officerMessage;
  }
}

/** No camera at the configured path (no /dev/videoN node, or unplugged). It may be plugged in later. */
export class CameraNotFoundError extends CameraError {
  override readonly name = 'CameraNotFoundError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super(
      'DEVICE_NOT_FOUND',
      'CAMERA_NOT_FOUND',
      message,
      {
        vi: 'Không tìm thấy camera. Hãy cắm camera vào máy và chờ vài giây.',
        en: 'No camera found. Plug the camera in and wait a few seconds.',
      },
      fields,
    );
  }
}

/** Another program holds the camera (V4L2 EBUSY: a video call, a second station process). */
export class CameraBusyError extends CameraError {
  override readonly name = 'CameraBusyError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super(
      'DEVICE_BUSY',
      'CAMERA_BUSY',
      message,
      {
        vi: 'Camera đang được một chương trình khác sử dụng. Hãy đóng chương trình đó rồi thử lại.',
        en: 'Another program is using the camera. Close it and try again.',
      },
      fields,
    );
  }
}

/** The station's user may not open the device node (add it to the `video` group). */
export class CameraPermissionError extends CameraError {
  override readonly name = 'CameraPermissionError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super(
      'DEVICE_PERMISSION_DENIED',
      'CAMERA_PERMISSION_DENIED',
      message,
      {
        vi: 'Trạm không có quyền mở camera. Hãy báo cho bộ phận kỹ thuật.',
        en: 'The station may not open the camera. Call technical support.',
      },
      fields,
    );
  }
}

/** The camera does not offer MJPEG at the configured size and frame rate. */
export class CameraFormatError extends CameraError {
  override readonly name = 'CameraFormatError';
  constructor(message: string, fields: DriverErrorFields = {}) {
    super(
      'DEVICE_UNAVAILABLE',
      'CAMERA_FORMAT_UNSUPPORTED',
      message,
      {
        vi: 'Camera không hỗ trợ định dạng ảnh đã cấu hình. Hãy dùng camera khác hoặc đổi cấu hình.',
        en: 'The camera does not support the configured picture format. Use another camera or change the settings.',
      },
      fields,
    );
  }
}

/** ffmpeg is not installed, so no camera can be read on this machine. */
export class FfmpegMissingError extends CameraError {
  override readonly name = 'FfmpegMissingError';
  constructor(fields: DriverErrorFields = {}) {
    super(
      'DEVICE_UNAVAILABLE',
      'CAMERA_FFMPEG_MISSING',
      'ffmpeg is not installed: install it (apt-get install -y --no-install-recommends ffmpeg) to use cameras',
      {
        vi: 'Máy thiếu phần mềm ffmpeg để đọc camera. Hãy báo cho bộ phận kỹ thuật.',
        en: 'The ffmpeg program needed for the camera is missing. Call technical support.',
      },
      fields,
    );
  }
}

/**
 * ffmpeg failed for a reason we do not classify, or kept dying: more restarts within a minute than
 * allowed. `stderrTail` is the end of its diagnostic output (never image data).
 */
export class FfmpegFailedError extends CameraError {
  override readonly name = 'FfmpegFailedError';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  constructor(
    message: string,
    fields: DriverErrorFields & {
      exitCode?: number | null;
      signal?: string | null;
      stderrTail?: string;
    } = {},
  ) {
    super(
      'DEVICE_UNAVAILABLE',
      'CAMERA_FFMPEG_FAILED',
      message,
      {
        vi: 'Camera ngừng hoạt động. Hãy rút camera ra, cắm lại và thử lại.',
        en: 'The camera stopped working. Unplug it, plug it back in and try again.',
      },
      fields,
    );
    this.exitCode = fields.exitCode ?? null;
    this.signal = fields.signal ?? null;
    this.stderrTail = fields.stderrTail ?? '';
  }
}

/** The camera sent no frame within the allowed time after starting, ms. */
export class CameraNoFramesError extends CameraError {
  override readonly name = 'CameraNoFramesError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number, message: string, fields: DriverErrorFields = {}) {
    super(
      'DEVICE_TIMEOUT',
      'CAMERA_NO_FRAMES',
      message,
      {
        vi: 'Camera không gửi hình ảnh. Hãy rút camera ra, cắm lại và thử lại.',
        en: 'The camera sends no picture. Unplug it, plug it back in and try again.',
      },
      fields,
    );
    this.timeoutMs = timeoutMs;
  }
}
