/**
 * ISO/IEC 7816-4 status words (5.6, tables 5 and 6) with readable text, and the ones ICAO 9303
 * readers meet in practice. `describeStatus(0x6982)` gives "security status not satisfied".
 */

export const SW = {
  OK: 0x9000,
  /** 61xx: xx more bytes are available with GET RESPONSE (T=0). */
  BYTES_REMAINING: 0x6100,
  /** 6Cxx: wrong Le; xx is the exact length (re-issue the command with Le = xx). */
  WRONG_LE: 0x6c00,
  END_OF_FILE: 0x6282,
  /** 63Cx: verification failed, x tries left. */
  VERIFY_FAILED: 0x63c0,
  AUTHENTICATION_FAILED: 0x6300,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  SM_NOT_SUPPORTED: 0x6882,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED: 0x6986,
  SM_DATA_OBJECTS_MISSING: 0x6987,
  SM_DATA_OBJECTS_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  WRONG_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_PARAMETERS: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

const EXACT: Readonly<Record<number, string>> = {
  36864: 'normal processing',
  25217: 'part of the returned data may be corrupted',
  25218: 'end of file reached before reading Le bytes',
  25219: 'selected file invalidated',
  25220: 'FCI not formatted correctly',
  25344: 'authentication failed',
  25985: 'memory failure',
  26368: 'wrong length',
  26753: 'logical channel not supported',
  26754: 'secure messaging not supported',
  26755: 'last command of the chain expected',
  26756: 'command chaining not supported',
  27009: 'command incompatible with file structure',
  27010: 'security status not satisfied',
  27011: 'authentication method blocked',
  27012: 'reference data not usable',
  27013: 'conditions of use not satisfied',
  27014: 'command not allowed (no current EF)',
  27015: 'expected secure messaging data objects missing',
  27016: 'secure messaging data objects incorrect',
  27264: 'incorrect parameters in the command data field',
  27265: 'function not supported',
  27266: 'file or application not found',
  27267: 'record not found',
  27268: 'not enough memory space in the file',
  27270: 'incorrect parameters P1-P2',
  27271: 'Lc inconsistent with P1-P2',
  27272: 'referenced data or reference data not found',
  27392: 'wrong parameters P1-P2 (offset outside the EF)',
  27904: 'instruction code not supported or invalid',
  28160: 'class not supported',
  28416: 'no precise diagnosis',
};

/** Readable text for a status word; never throws. */
export function describeStatus(sw: number): string {
  const exact = EXACT[sw];
  if (exact !== undefined) return exact;
  const sw1 = (sw >> 8) & 0xff;
  const sw2 = sw & 0xff;
  switch (sw1) {
    case 0x61:
      return `${sw2 === 0 ? 256 : sw2} more bytes available (GET RESPONSE)`;
    case 0x6c:
      return `wrong Le: ${sw2 === 0 ? 256 : sw2} bytes available`;
    case 0x63:
      if ((sw2 & 0xf0) === 0xc0) return `verification failed, ${sw2 & 0x0f} tries left`;
      return 'warning: non-volatile memory changed';
    case 0x62:
      return 'warning: non-volatile memory unchanged';
    case 0x64:
      return 'execution error: non-volatile memory unchanged';
    case 0x65:
      return 'execution error: non-volatile memory changed';
    case 0x66:
      return 'security-related error';
    case 0x68:
      return 'functions in CLA not supported';
    case 0x69:
      return 'command not allowed';
    case 0x6a:
      return 'wrong parameters P1-P2';
    default:
      return `status ${hexStatus(sw)}`;
  }
}

/** "6982" style, as logs and traces print status words. */
export function hexStatus(sw: number): string {
  return (sw & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** Only 9000 is success; warnings (62xx, 63xx) and T=0 procedure words (61xx, 6Cxx) are not. */
export function isSuccess(sw: number): boolean {
  return sw === SW.OK;
}
