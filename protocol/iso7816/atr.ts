/**
 * Answer-to-reset (ISO/IEC 7816-3 §8.2) and its historical bytes (7816-4 §8.1.1): enough to learn
 * the protocols offered and the card capabilities, in particular whether the card takes
 * extended-length APDUs (card capabilities, third software function table byte, b7).
 *
 * A contactless card behind a PC/SC reader gets a synthesised ATR (PC/SC part 3 §3.1.3.2.3):
 * `3B 8n 80 01 <n historical bytes> TCK`, the historical bytes from the card's ATS.
 */
import { type DecodeResult, fail, ok } from '../result.ts';

export interface Atr {
  /** Protocols the ATR offers (T=0 when no TD byte says otherwise). */
  readonly protocols: readonly number[];
  readonly historical: Uint8Array;
  /** Card capabilities (compact-TLV tag 7), when present: first to third software function bytes. */
  readonly capabilities: Uint8Array | undefined;
  /** The card says it takes extended Lc and Le (capabilities byte 3, b7). */
  readonly extendedLength: boolean;
  /** Command chaining (capabilities byte 3, b8). */
  readonly commandChaining: boolean;
}

const MAX_ATR = 33;

/** Parses an ATR. Never throws: errors for a truncated ATR or a wrong TCK. */
export function parseAtr(bytes: Uint8Array): DecodeResult<Atr> {
  if (bytes.length < 2) return fail('truncated', bytes.length, 'an ATR has at least TS and T0');
  if (bytes.length > MAX_ATR) return fail('too-large', MAX_ATR, `an ATR is at most ${MAX_ATR} bytes`);
  const ts = bytes[0];
  if (ts !== 0x3b && ts !== 0x3f)
    return fail('invalid-value', 0, `TS ${ts?.toString(16)} is neither 3B nor 3F`);
  const t0 = bytes[1] ?? 0;
  const historicalCount = t0 & 0x0f;
  let y = t0 >> 4;
  let at = 2;
  const protocols = new Set<number>();
  let sawTd = false;
  for (;;) {
    if (y & 0x1) at++; // TA
    if (y & 0x2) at++; // TB
    if (y & 0x4) at++; // TC
    if (!(y & 0x8)) break;
    const td = bytes[at];
    if (td === undefined) return fail('truncated', at, 'TD byte missing');
    at++;
    sawTd = true;
    protocols.add(td & 0x0f);
    y = td >> 4;
  }
  if (!sawTd) protocols.add(0);
  if (at + historicalCount > bytes.length) return fail('truncated', at, 'historical bytes cut short');
  const historical = bytes.slice(at, at + historicalCount);
  at += historicalCount;
  // TCK is present when any protocol other than T=0 is offered.
  const needsTck = [...protocols].some((p) => p !== 0);
  if (needsTck) {
    if (at >= bytes.length) return fail('truncated', at, 'TCK missing');
    let check = 0;
    for (let i = 1; i <= at; i++) check ^= bytes[i] ?? 0;
    if (check !== 0) return fail('checksum-mismatch', at, 'TCK does not match');
    at++;
  }
  if (at !== bytes.length) return fail('trailing-data', at, `${bytes.length - at} bytes after the ATR`);
  const capabilities = cardCapabilities(historical);
  const third = capabilities?.[2] ?? 0;
  return ok({
    protocols: [...protocols].sort(),
    historical,
    capabilities,
    extendedLength: (third & 0x40) !== 0,
    commandChaining: (third & 0x80) !== 0,
  });
}

/** The card capabilities object of compact-TLV historical bytes (category indicator 80). */
function cardCapabilities(historical: Uint8Array): Uint8Array | undefined {
  if (historical[0] !== 0x80) return undefined;
  let at = 1;
  while (at < historical.length) {
    const header = historical[at] ?? 0;
    const tag = header >> 4;
    const length = header & 0x0f;
    if (at + 1 + length > historical.length) return undefined;
    if (tag === 0x7) return historical.slice(at + 1, at + 1 + length);
    at += 1 + length;
  }
  return undefined;
}

/**
 * The ATR a PC/SC reader synthesises for a contactless card with these historical bytes
 * (`3B 8n 80 01 ... TCK`), as simulated cards present themselves.
 * @throws {RangeError} for more than 15 historical bytes.
 */
export function contactlessAtr(historical: Uint8Array): Uint8Array {
  if (historical.length > 15) throw new RangeError('at most 15 historical bytes');
  const out = new Uint8Array(4 + historical.length + 1);
  out.set([0x3b, 0x80 | historical.length, 0x80, 0x01]);
  out.set(historical, 4);
  let check = 0;
  for (let i = 1; i < out.length - 1; i++) check ^= out[i] ?? 0;
  out[out.length - 1] = check;
  return out;
}

/** Compact-TLV historical bytes announcing card capabilities: chaining and extended length. */
export function capabilityHistoricalBytes(options: { extendedLength: boolean }): Uint8Array {
  // 80: category indicator (compact-TLV follows); 73: card capabilities, 3 bytes: selection by
  // full DF name (80), data coding 01 (one-byte units), then b8 chaining, b7 extended Lc/Le.
  return Uint8Array.of(0x80, 0x73, 0x80, 0x01, options.extendedLength ? 0xc0 : 0x80);
}
