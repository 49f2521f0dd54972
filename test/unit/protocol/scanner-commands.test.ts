import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../../protocol/result.ts';
import {
  type CaptureResult,
  Cmd,
  type DeviceInfo,
  decodeBeep,
  decodeCaptureRequest,
  decodeDeviceInfo,
  decodeError,
  decodeInitResponse,
  decodePreview,
  decodeResult,
  decodeSetLed,
  decodeStatus,
  ErrorCode,
  encodeBeep,
  encodeCaptureRequest,
  encodeDeviceInfo,
  encodeError,
  encodeInitResponse,
  encodePreview,
  encodeResult,
  encodeSetLed,
  encodeStatus,
  resultSignedBytes,
} from '../../../protocol/scanner/commands.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

const info: DeviceInfo = {
  vendor: 'Sim Biometrics',
  model: 'FS-60 Slap',
  serial: 'SIM-0001',
  firmware: '1.2.3',
  ppi: 500,
  captureWidth: 1600,
  captureHeight: 1500,
  fap: 60,
  modes: ['flat-single', 'slap-left', 'slap-right', 'two-thumbs'],
  certificate: Uint8Array.of(0x30, 0x82, 1, 2, 3),
};

const result: CaptureResult = {
  mode: 'slap-right',
  width: 4,
  height: 3,
  ppi: 500,
  crc32: 0xcbf43926,
  signature: Uint8Array.of(0x30, 6, 2, 1, 1, 2, 1, 2),
  pixels: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
};

/** Every strict prefix and every one-byte extension of a valid payload must decode to an error. */
function expectStrict(bytes: Uint8Array, decode: (b: Uint8Array) => { ok: boolean }) {
  for (let n = 0; n < bytes.length; n++) expect(decode(bytes.subarray(0, n)).ok, `prefix ${n}`).toBe(false);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  expect(decode(longer).ok).toBe(false);
}

describe('scanner commands', () => {
  it('uses the command bytes of the README, bit 7 set', () => {
    expect(Cmd).toMatchObject({ INIT: 0x86, GET_INFO: 0x82, CAPTURE: 0x83, RESULT: 0x85, ERROR: 0xbf });
    for (const value of Object.values(Cmd)) expect(value & 0x80).toBe(0x80);
  });

  it('round-trips GET_INFO and skips unknown fields', () => {
    const bytes = encodeDeviceInfo(info);
    expect(unwrap(decodeDeviceInfo(bytes))).toEqual(info);
    const extended = new Uint8Array(bytes.length + 5);
    extended.set(bytes);
    extended.set([0x42, 0, 2, 9, 9], bytes.length);
    expect(unwrap(decodeDeviceInfo(extended))).toEqual(info);
  });

  it('rejects GET_INFO without its certificate, or with a repeated field', () => {
    const bytes = encodeDeviceInfo(info);
    const cut = bytes.subarray(0, bytes.length - (3 + info.certificate.length));
    expect(decodeDeviceInfo(cut)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    const twice = new Uint8Array(bytes.length + 5);
    twice.set(bytes);
    twice.set([5, 0, 2, 1, 244], bytes.length);
    expect(decodeDeviceInfo(twice)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  });

  it('round-trips CAPTURE and rejects a bad mode, timeout or scale', () => {
    const req = {
      mode: 'two-thumbs' as const,
      timeoutMs: 15000,
      nonce: new Uint8Array(32).fill(7),
      preview: true,
      previewScale: 4,
    };
    const bytes = encodeCaptureRequest(req);
    expect(bytes).toHaveLength(39);
    expect(unwrap(decodeCaptureRequest(bytes))).toEqual(req);
    expectStrict(bytes, decodeCaptureRequest);
    for (const [offset, value] of [
      [0, 9],
      [38, 0],
      [38, 17],
      [37, 2],
    ] as const) {
      const bad = bytes.slice();
      bad[offset] = value;
      expect(decodeCaptureRequest(bad)).toMatchObject({
        ok: false,
        error: { reason: 'invalid-value', offset },
      });
    }
    expect(() => encodeCaptureRequest({ ...req, timeoutMs: 0 })).toThrow(RangeError);
  });

  it('round-trips RESULT and PREVIEW, byte-exact, and rejects every truncation', () => {
    const bytes = encodeResult(result);
    expect([...bytes.subarray(0, 13)]).toEqual([3, 0, 4, 0, 3, 1, 0xf4, 0xcb, 0xf4, 0x39, 0x26, 0, 8]);
    expect(unwrap(decodeResult(bytes))).toEqual(result);
    expectStrict(bytes, decodeResult);
    const preview = {
      sequence: 42,
      fingers: 0b1011,
      width: 3,
      height: 2,
      pixels: Uint8Array.of(1, 2, 3, 4, 5, 6),
    };
    const p = encodePreview(preview);
    expect(unwrap(decodePreview(p))).toEqual(preview);
    expectStrict(p, decodePreview);
  });

  it('lays out the signed bytes of a RESULT as section 4.7 says', () => {
    const nonce = new Uint8Array(32).fill(0xaa);
    const hash = new Uint8Array(32).fill(0xbb);
    const signed = resultSignedBytes(nonce, { mode: 'flat-single', width: 500, height: 500, ppi: 500 }, hash);
    expect(new TextDecoder().decode(signed.subarray(0, 16))).toBe('FPSCAN-RESULT-V1');
    expect(signed.subarray(16, 48).every((b) => b === 0xaa)).toBe(true);
    expect([...signed.subarray(48, 55)]).toEqual([1, 0x01, 0xf4, 0x01, 0xf4, 0x01, 0xf4]);
    expect(signed.subarray(55).every((b) => b === 0xbb)).toBe(true);
    expect(signed).toHaveLength(87);
  });

  it('round-trips INIT, SET_LED, BEEP, STATUS and ERROR', () => {
    const init = {
      nonce: new Uint8Array(8).fill(3),
      cid: 0x11223344,
      protocolVersion: 1,
      deviceVersion: [1, 2, 3] as const,
      preview: true,
      maxMessage: 8 << 20,
    };
    expect(unwrap(decodeInitResponse(encodeInitResponse(init)))).toEqual(init);
    const leds = [
      { index: 0, colour: 'green' as const, mode: 'steady' as const },
      { index: 3, colour: 'red' as const, mode: 'blink' as const },
    ];
    expect(unwrap(decodeSetLed(encodeSetLed(leds)))).toEqual(leds);
    expect(unwrap(decodeBeep(encodeBeep({ frequencyHz: 2700, durationMs: 120 })))).toEqual({
      frequencyHz: 2700,
      durationMs: 120,
    });
    expect(unwrap(decodeStatus(encodeStatus('capturing')))).toBe('capturing');
    expect(unwrap(decodeError(encodeError(ErrorCode.DEVICE_BUSY, 'capture in progress')))).toEqual({
      code: 0x14,
      name: 'DEVICE_BUSY',
      detail: 'capture in progress',
    });
    expect(decodeInitResponse(encodeInitResponse({ ...init, cid: 0xffffffff }))).toMatchObject({ ok: false });
  });

  it('never throws on random payloads: every decoder returns a result', () => {
    const decoders = [
      decodeDeviceInfo,
      decodeCaptureRequest,
      decodePreview,
      decodeResult,
      decodeSetLed,
      decodeBeep,
      decodeStatus,
      decodeError,
      decodeInitResponse,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of decoders) expect(typeof decode(bytes).ok).toBe('boolean');
      }),
      { seed, numRuns: 500 },
    );
  });
});
