/**
 * The officer accounts' error catalogue (STYLE.md, errors). Every code has the HTTP status the API
 * answers with and the words the officer reads (Vietnamese first, English second). A password, PIN
 * or session id never appears in a message or a field.
 */

export type AuthErrorCode =
  /** Wrong account name or password: one answer for both, so names cannot be probed. */
  | 'AUTH_LOGIN_FAILED'
  /** Too many attempts from this account name or this client address: wait `retryAfterSeconds`. */
  | 'AUTH_TOO_MANY_ATTEMPTS'
  /** The account is locked after repeated failures, until a supervisor unlocks it or the time passes. */
  | 'AUTH_ACCOUNT_LOCKED'
  /** The account is disabled by an administrator. */
  | 'AUTH_ACCOUNT_DISABLED'
  /** No session cookie, or one the station does not know (forged, logged out, or from before a restart). */
  | 'AUTH_SESSION_REQUIRED'
  /** The session reached its absolute lifetime. */
  | 'AUTH_SESSION_EXPIRED'
  /** The screen locked itself after the idle time: only the password unlocks it. */
  | 'AUTH_SESSION_LOCKED'
  /** The session's account lacks every role the route accepts. */
  | 'AUTH_FORBIDDEN'
  /** A re-authentication (password or PIN) was wrong. */
  | 'AUTH_REAUTH_FAILED'
  /** PIN re-authentication is not available: no PIN set, or too many wrong PINs in this session. */
  | 'AUTH_PIN_UNAVAILABLE'
  /** A signing grant is unknown, used already, expired, or another account's. */
  | 'AUTH_GRANT_INVALID'
  /** The Host header names no host this station answers to (DNS rebinding defence). */
  | 'AUTH_HOST_NOT_ALLOWED'
  /** A write with a session cookie, or a WebSocket upgrade, came without the station's own Origin. */
  | 'AUTH_ORIGIN_REFUSED'
  /** No such account. */
  | 'AUTH_ACCOUNT_UNKNOWN'
  /** An account with this id exists already. */
  | 'AUTH_ACCOUNT_EXISTS'
  /** A new password or PIN does not meet the policy. */
  | 'AUTH_PASSWORD_POLICY'
  /** The accounts file is not one this station wrote (bad JSON, bad shape, hash parameters out of bounds). */
  | 'AUTH_STORE_INVALID'
  /** Another writer held the accounts file's lock for longer than the wait. */
  | 'AUTH_STORE_BUSY';

export interface OfficerMessage {
  readonly vi: string;
  readonly en: string;
}

interface CodeInfo {
  readonly status: number;
  readonly officer: OfficerMessage;
}

/** Status and officer words per code: the API's contract, so the screen never parses a message. */
export const AUTH_CODES: Readonly<Record<AuthErrorCode, CodeInfo>> = {
  AUTH_LOGIN_FAILED: {
    status: 401,
    officer: {
      vi: 'Sai tên tài khoản hoặc mật khẩu. Kiểm tra lại (chú ý phím Caps Lock) rồi đăng nhập lại.',
      en: 'Wrong account name or password. Check them (mind Caps Lock) and try again.',
    },
  },
  AUTH_TOO_MANY_ATTEMPTS: {
    status: 429,
    officer: {
      vi: 'Đăng nhập sai nhiều lần: chờ vài giây rồi thử lại.',
      en: 'Too many failed attempts: wait a few seconds, then try again.',
    },
  },
  AUTH_ACCOUNT_LOCKED: {
    status: 423,
    officer: {
      vi: 'Tài khoản tạm khóa do đăng nhập sai nhiều lần. Nhờ cán bộ giám sát mở khóa, hoặc chờ hết thời gian khóa.',
      en: 'The account is locked after repeated failures. Ask a supervisor to unlock it, or wait until the lock ends.',
    },
  },
  AUTH_ACCOUNT_DISABLED: {
    status: 403,
    officer: {
      vi: 'Tài khoản đã bị vô hiệu hóa. Liên hệ quản trị viên.',
      en: 'This account is disabled. Contact the administrator.',
    },
  },
  AUTH_SESSION_REQUIRED: {
    status: 401,
    officer: { vi: 'Cần đăng nhập để tiếp tục.', en: 'Please log in to continue.' },
  },
  AUTH_SESSION_EXPIRED: {
    status: 401,
    officer: {
      vi: 'Phiên làm việc đã hết hạn. Đăng nhập lại.',
      en: 'The session has ended (maximum length reached). Log in again.',
    },
  },
  AUTH_SESSION_LOCKED: {
    status: 423,
    officer: {
      vi: 'Màn hình đã khóa do không thao tác. Nhập lại mật khẩu để mở khóa.',
      en: 'The screen locked itself after inactivity. Enter your password to unlock it.',
    },
  },
  AUTH_FORBIDDEN: {
    status: 403,
    officer: {
      vi: 'Tài khoản không có quyền thực hiện thao tác này.',
      en: 'This account is not allowed to do this.',
    },
  },
  AUTH_REAUTH_FAILED: {
    status: 401,
    officer: {
      vi: 'Mật khẩu hoặc mã PIN không đúng. Nhập lại để ký.',
      en: 'Wrong password or PIN. Enter it again to sign.',
    },
  },
  AUTH_PIN_UNAVAILABLE: {
    status: 409,
    officer: {
      vi: 'Không dùng được mã PIN (chưa đặt hoặc nhập sai nhiều lần): nhập mật khẩu để ký.',
      en: 'The PIN cannot be used (none set, or too many wrong PINs): sign with your password.',
    },
  },
  AUTH_GRANT_INVALID: {
    status: 403,
    officer: {
      vi: 'Xác nhận ký đã hết hiệu lực hoặc đã được dùng. Nhập lại mật khẩu hoặc mã PIN.',
      en: 'The signing confirmation has expired or was used already. Enter your password or PIN again.',
    },
  },
  AUTH_HOST_NOT_ALLOWED: {
    status: 421,
    officer: {
      vi: 'Địa chỉ truy cập không hợp lệ: mở máy trạm bằng địa chỉ được cấu hình (ví dụ http://127.0.0.1:8080).',
      en: 'Wrong address: open the station at its configured address (e.g. http://127.0.0.1:8080).',
    },
  },
  AUTH_ORIGIN_REFUSED: {
    status: 403,
    officer: {
      vi: 'Yêu cầu không đến từ màn hình của máy trạm nên bị từ chối.',
      en: "The request did not come from the station's own screen, so it was refused.",
    },
  },
  AUTH_ACCOUNT_UNKNOWN: {
    status: 404,
    officer: { vi: 'Không có tài khoản này.', en: 'There is no such account.' },
  },
  AUTH_ACCOUNT_EXISTS: {
    status: 409,
    officer: { vi: 'Tài khoản này đã tồn tại.', en: 'This account exists already.' },
  },
  AUTH_PASSWORD_POLICY: {
    status: 400,
    officer: {
      vi: 'Mật khẩu phải có ít nhất 10 ký tự (mã PIN: 6 đến 12 chữ số).',
      en: 'A password needs at least 10 characters (a PIN: 6 to 12 digits).',
    },
  },
  AUTH_STORE_INVALID: {
    status: 500,
    officer: {
      vi: 'Tệp tài khoản bị hỏng. Báo cho bộ phận kỹ thuật.',
      en: 'The accounts file is damaged. Tell the technical staff.',
    },
  },
  AUTH_STORE_BUSY: {
    status: 503,
    officer: {
      vi: 'Tệp tài khoản đang được sửa ở nơi khác: thử lại sau giây lát.',
      en: 'The accounts file is being changed elsewhere: try again in a moment.',
    },
  },
};

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  /** The HTTP status the API answers with. */
  readonly statusCode: number;
  /** What the officer reads. */
  readonly officer: OfficerMessage;
  /** For AUTH_TOO_MANY_ATTEMPTS and a timed AUTH_ACCOUNT_LOCKED: seconds until the next attempt may run. */
  readonly retryAfterSeconds: number | undefined;
  /** The account concerned, for the admin routes and the CLI (never set on a login refusal). */
  readonly account: string | undefined;

  constructor(
    code: AuthErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; account?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    const info = AUTH_CODES[code];
    this.statusCode = info.status;
    this.officer = info.officer;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.account = options.account;
  }

  /** The API's error body: `{ error: { code, message, officer: { vi, en }, retryAfterSeconds? } }`. */
  toJSON(): { error: Record<string, unknown> } {
    return {
      error: {
        code: this.code,
        message: this.message,
        officer: this.officer,
        ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
        ...(this.account === undefined ? {} : { account: this.account }),
      },
    };
  }
}
