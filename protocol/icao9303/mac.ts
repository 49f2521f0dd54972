/**
 * Padding and MACs of ICAO 9303 secure messaging and access control (9303-11 §9.8):
 * ISO/IEC 9797-1 padding method 2, ISO/IEC 9797-1 MAC algorithm 3 over 2-key 3DES (the "retail
 * MAC" of BAC and 3DES secure messaging), and AES-CMAC (RFC 4493, NIST SP 800-38B) for AES secure
 * messaging and PACE tokens. Pure code on the injected block ciphers.
 */
import { type DecodeResult, fail, ok } from '../result.ts';
import type { Icao9303Crypto } from './crypto.ts';

/** Block sizes of the two cipher families, bytes. */
export type BlockSize = 8 | 16;

/** Length of a secure-messaging MAC (DO8E) and of a retail MAC, bytes. */
export const SM_MAC_LENGTH = 8;

/**
 * ISO/IEC 9797-1 padding method 2: append 0x80, then zero bytes to a multiple of `blockSize`.
 * Always adds at least one byte (a whole block for block-aligned input). Returns a new array.
 */
export function pad2(data: Uint8Array, blockSize: BlockSize): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Removes ISO/IEC 9797-1 padding method 2. The input must be a non-empty multiple of `blockSize`
 * ending in 0x80 followed by at most `blockSize - 1` zero bytes. Returns a view (subarray) of the
 * input, or `invalid-value` with the offset where the padding goes wrong.
 */
export function unpad2(data: Uint8Array, blockSize: BlockSize): DecodeResult<Uint8Array> {
  if (data.length === 0 || data.length % blockSize !== 0)
    return fail(
      'invalid-value',
      data.length,
      `padded data of ${data.length} bytes is not whole ${blockSize}-byte blocks`,
    );
  const floor = data.length - blockSize;
  for (let i = data.length - 1; i >= floor; i--) {
    const b = data[i];
    if (b === 0x80) return ok(data.subarray(0, i));
    if (b !== 0x00)
      return fail(
        'invalid-value',
        i,
        `padding byte ${(b ?? 0).toString(16).padStart(2, '0')} where 80 or 00 was expected`,
      );
  }
  return fail('invalid-value', floor, `no 80 padding marker in the last ${blockSize} bytes`);
}

function expectKey(name: string, key: Uint8Array, lengths: readonly number[]): void {
  if (!lengths.includes(key.length))
    throw new RangeError(`${name} must be ${lengths.join(' or ')} bytes, got ${key.length}`);
}

/**
 * ISO/IEC 9797-1 MAC algorithm 3 with padding method 2 (9303-11 §9.8, "retail MAC"), 8 bytes:
 * single-DES CBC with Ka over every block (IV 0), then on the last block decrypt with Kb and
 * encrypt with Ka. `data` is unpadded; this pads it.
 *
 * Computed with two 3DES-CBC calls: Ka||Ka is single DES for all but the last block, and the last
 * block's E(Ka)·D(Kb)·E(Ka) is exactly 3DES-EDE with Ka||Kb chained from the previous block.
 * @throws {RangeError} for a key that is not 16 bytes.
 */
export function retailMac(crypto: Icao9303Crypto, key: Uint8Array, data: Uint8Array): Uint8Array {
  expectKey('retail MAC key', key, [16]);
  const padded = pad2(data, 8);
  const lastStart = padded.length - 8;
  let chain: Uint8Array = new Uint8Array(8);
  if (lastStart > 0) {
    const ka = key.subarray(0, 8);
    const single = new Uint8Array(16);
    single.set(ka);
    single.set(ka, 8);
    chain = crypto.tdesCbcEncrypt(single, new Uint8Array(8), padded.subarray(0, lastStart)).slice(-8);
  }
  return crypto.tdesCbcEncrypt(key, chain, padded.subarray(lastStart));
}

/** GF(2^128) doubling of a 16-byte block with the RFC 4493 constant Rb = 0x87. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = (((block[i] ?? 0) << 1) | ((block[i + 1] ?? 0) >> 7)) & 0xff;
  if (((block[0] ?? 0) & 0x80) !== 0) out[15] = (out[15] ?? 0) ^ 0x87;
  return out;
}

/**
 * AES-CMAC (RFC 4493; NIST SP 800-38B for 192/256-bit keys), the full 16-byte tag. Secure
 * messaging and PACE tokens use its first 8 bytes (9303-11 §9.8, §4.4).
 * @throws {RangeError} for a key that is not 16, 24 or 32 bytes.
 */
export function aesCmac(crypto: Icao9303Crypto, key: Uint8Array, message: Uint8Array): Uint8Array {
  expectKey('AES-CMAC key', key, [16, 24, 32]);
  const k1 = double(crypto.aesEcbEncrypt(key, new Uint8Array(16)));
  const k2 = double(k1);
  const complete = message.length > 0 && message.length % 16 === 0;
  const blocks = complete ? message.length / 16 : Math.floor(message.length / 16) + 1;
  const input = new Uint8Array(blocks * 16);
  input.set(message);
  const lastStart = (blocks - 1) * 16;
  if (!complete) input[message.length] = 0x80;
  const subkey = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) input[lastStart + i] = (input[lastStart + i] ?? 0) ^ (subkey[i] ?? 0);
  return crypto.aesCbcEncrypt(key, new Uint8Array(16), input).slice(-16);
}
