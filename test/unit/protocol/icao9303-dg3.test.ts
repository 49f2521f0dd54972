/**
 * DG3 and the ISO/IEC 19794-4:2005 finger image record (protocol/icao9303/lds/dg3.ts,
 * finger-record.ts): a record written byte by byte from the standard's field table and decoded;
 * DG3 with two WSQ fingers round-tripped and their pixels decoded by protocol/wsq; the CBEFF
 * subtypes; every refusal with its reason; random and mutated bytes never throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../protocol/bytes.ts';
import {
  type Dg3Finger,
  decodeDg3,
  decodeFingerImage,
  dg3Fingers,
  encodeDg3,
  FORMAT_TYPE_FINGER_IMAGE,
  fingerSubtype,
} from '../../../protocol/icao9303/lds/dg3.ts';
import { decodeFingerRecord, encodeFingerRecord } from '../../../protocol/icao9303/lds/finger-record.ts';
import { encodeTlv } from '../../../protocol/iso7816/tlv.ts';
import { encodeWsq, psnr } from '../../../protocol/wsq/index.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

/** A ridge-like test pattern (concentric rings), 8-bit grey. */
function rings(width: number, height: number, period = 9): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2);
      out[y * width + x] = Math.round(128 + 100 * Math.sin((2 * Math.PI * r) / period));
    }
  return out;
}

function wsqOf(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const encoded = encodeWsq(pixels, { width, height, bitRate: 2.25 });
  if (!encoded.ok) throw new Error(encoded.error.detail);
  return encoded.value;
}

/** A 19794-4:2005 record written field by field from the standard's tables (not by our encoder). */
function handWrittenRecord(image: Uint8Array, width: number, height: number): Uint8Array {
  const length = 32 + 14 + image.length;
  const bytes = [
    ...[0x46, 0x49, 0x52, 0x00], // 'FIR\0'
    ...[0x30, 0x31, 0x30, 0x00], // '010\0'
    0,
    0,
    (length >>> 24) & 0xff,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff, // record length, 6 bytes
    0x12,
    0x34, // capture device id
    0,
    31, // image acquisition level 31
    1, // one finger image
    2, // scale units: pixels per centimetre
    0x00,
    0xc5,
    0x00,
    0xc5, // scan resolution 197 ppcm (500 ppi)
    0x00,
    0xc5,
    0x00,
    0xc5, // image resolution
    8, // pixel depth
    2, // WSQ
    0,
    0, // reserved
    // finger image header
    ((14 + image.length) >>> 24) & 0xff,
    ((14 + image.length) >>> 16) & 0xff,
    ((14 + image.length) >>> 8) & 0xff,
    (14 + image.length) & 0xff,
    7, // left index
    1, // count of views
    1, // view number
    80, // quality
    0, // live-scan plain
    width >> 8,
    width & 0xff,
    height >> 8,
    height & 0xff,
    0, // reserved
  ];
  return Uint8Array.from([...bytes, ...image]);
}

describe('the finger image record, field by field', () => {
  const pixels = rings(120, 150);
  const wsq = wsqOf(pixels, 120, 150);

  it('decodes a hand-written record', () => {
    const result = decodeFingerRecord(handWrittenRecord(wsq, 120, 150));
    if (!result.ok) throw new Error(result.error.detail);
    expect(result.value).toMatchObject({
      version: '010',
      captureDeviceId: 0x1234,
      acquisitionLevel: 31,
      scaleUnits: 'ppcm',
      scanResolution: { horizontal: 197, vertical: 197 },
      imageResolution: { horizontal: 197, vertical: 197 },
      pixelDepth: 8,
      compression: 'wsq',
      images: [
        { position: 7, viewCount: 1, viewNumber: 1, quality: 80, impressionType: 0, width: 120, height: 150 },
      ],
    });
    expect(result.value.images[0]?.data).toEqual(wsq);
  });

  it('our encoder writes the same bytes as the hand-written record (ppi and ppcm aside)', () => {
    const ours = encodeFingerRecord({
      captureDeviceId: 0x1234,
      compression: 'wsq',
      ppi: 197,
      images: [{ position: 7, width: 120, height: 150, data: wsq, quality: 80 }],
    });
    const theirs = handWrittenRecord(wsq, 120, 150);
    theirs[19] = 1; // we write pixels per inch
    expect(toHex(ours)).toBe(toHex(theirs));
  });

  it.each([
    ['a wrong format identifier', 0, 0x41, 'invalid-value'],
    ['version 020', 5, 0x32, 'unsupported'],
    ['acquisition level 0', 17, 0, 'invalid-value'],
    ['no finger images', 18, 0, 'invalid-value'],
    ['scale unit 3', 19, 3, 'invalid-value'],
    ['pixel depth 0', 28, 0, 'invalid-value'],
    ['compression 6', 29, 6, 'invalid-value'],
    ['a record length one short', 13, -1, 'trailing-data'],
    ['a record length one long', 13, +1, 'truncated'],
    ['a width of 0', 32 + 9, 0, 'invalid-value'],
    ['a width of 0x7000', 32 + 9, 0x70, 'too-large'],
    ['a block length of 14', 32 + 3, 14, 'invalid-value'],
  ] as const)('%s is refused: %s', (_, at, value, reason) => {
    const bytes = handWrittenRecord(wsq, 120, 150);
    if (at === 13) bytes[13] = (bytes[13] ?? 0) + value;
    else if (at === 32 + 3) bytes.set([0, 0, 0, value], 32);
    else if (at === 32 + 9) bytes.set([value, 0], 32 + 9);
    else bytes[at] = value;
    expect(decodeFingerRecord(bytes)).toMatchObject({ ok: false, error: { reason } });
  });

  it('a declared length past the bound is too large before anything else is read', () => {
    const bytes = handWrittenRecord(wsq, 120, 150);
    bytes.set([0x01, 0, 0, 0, 0, 0], 8);
    expect(decodeFingerRecord(bytes)).toMatchObject({ ok: false, error: { reason: 'too-large', offset: 8 } });
  });
});

describe('DG3', () => {
  const right = rings(128, 160, 8);
  const left = rings(128, 160, 11);
  const dg3 = encodeDg3([
    {
      record: {
        compression: 'wsq',
        images: [{ position: 2, width: 128, height: 160, data: wsqOf(right, 128, 160) }],
      },
    },
    {
      record: {
        compression: 'wsq',
        images: [{ position: 7, width: 128, height: 160, data: wsqOf(left, 128, 160) }],
      },
    },
  ]);

  it('is tag 63 around the biometric group, with subtype and format in each header', () => {
    expect(dg3[0]).toBe(0x63);
    const decoded = decodeDg3(dg3);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.instances.map((i) => i.header)).toEqual([
      expect.objectContaining({
        biometricType: 8,
        biometricSubtype: 0x09,
        formatOwner: 0x0101,
        formatType: 7,
      }),
      expect.objectContaining({
        biometricType: 8,
        biometricSubtype: 0x0a,
        formatOwner: 0x0101,
        formatType: 7,
      }),
    ]);
  });

  it('its two WSQ fingers decode to the pixels they were made from', () => {
    const decoded = decodeDg3(dg3);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const fingers = dg3Fingers(decoded.value);
    expect(fingers.map((f) => [f.position, f.width, f.height, f.ppi, f.compression])).toEqual([
      [2, 128, 160, 500, 'wsq'],
      [7, 128, 160, 500, 'wsq'],
    ]);
    for (const [i, source] of [right, left].entries()) {
      const image = decodeFingerImage(fingers[i] as Dg3Finger);
      if (!image.ok) throw new Error(image.error.detail);
      expect([image.value.width, image.value.height]).toEqual([128, 160]);
      expect(psnr(source, image.value.pixels)).toBeGreaterThan(30);
    }
  });

  it.each([
    [1, 0x05],
    [2, 0x09],
    [3, 0x0d],
    [4, 0x11],
    [5, 0x15],
    [6, 0x06],
    [7, 0x0a],
    [10, 0x16],
    [0, 0x00],
    [11, 0x00],
  ])('finger position %i has CBEFF subtype %i', (position, subtype) => {
    expect(fingerSubtype(position)).toBe(subtype);
  });

  it('a size the WSQ image does not have, and formats not decoded, are refused', () => {
    const decoded = decodeDg3(dg3);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const finger = dg3Fingers(decoded.value)[0] as Dg3Finger;
    expect(decodeFingerImage({ ...finger, width: 100 })).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
    expect(decodeFingerImage({ ...finger, compression: 'jpeg2000' })).toMatchObject({
      ok: false,
      error: { reason: 'unsupported' },
    });
    const raw = decodeFingerImage({
      ...finger,
      compression: 'raw',
      width: 4,
      height: 2,
      data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    });
    expect(raw.ok && [...raw.value.pixels]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each([
    ['another data group tag', (b: Uint8Array) => Uint8Array.from([0x75, ...b.subarray(1)]), 'invalid-value'],
    ['a byte after the file', (b: Uint8Array) => Uint8Array.from([...b, 0]), 'trailing-data'],
    ['the file cut short', (b: Uint8Array) => b.subarray(0, b.length - 10), 'truncated'],
  ] as const)('%s: %s', (_, mutate, reason) => {
    expect(decodeDg3(mutate(dg3))).toMatchObject({ ok: false, error: { reason } });
  });

  it('a face record (format type 0008), an enciphered block or a wrong count are refused', () => {
    const record = encodeFingerRecord({
      compression: 'raw',
      images: [{ position: 2, width: 2, height: 2, data: Uint8Array.of(1, 2, 3, 4) }],
    });
    const face = encodeDg3([
      {
        header: { formatType: 0x0008 },
        record: {
          compression: 'raw',
          images: [{ position: 2, width: 2, height: 2, data: Uint8Array.of(1, 2, 3, 4) }],
        },
      },
    ]);
    expect(decodeDg3(face)).toMatchObject({ ok: false, error: { reason: 'unsupported' } });
    const header = encodeTlv(
      0xa1,
      encodeTlv(0x87, Uint8Array.of(1, 1)),
      encodeTlv(0x88, Uint8Array.of(0, FORMAT_TYPE_FINGER_IMAGE)),
    );
    const enciphered = encodeTlv(
      0x63,
      encodeTlv(
        0x7f61,
        encodeTlv(0x02, Uint8Array.of(1)),
        encodeTlv(0x7f60, header, encodeTlv(0x7f2e, record)),
      ),
    );
    expect(decodeDg3(enciphered)).toMatchObject({ ok: false, error: { reason: 'unsupported' } });
    const miscounted = encodeTlv(
      0x63,
      encodeTlv(
        0x7f61,
        encodeTlv(0x02, Uint8Array.of(2)),
        encodeTlv(0x7f60, header, encodeTlv(0x5f2e, record)),
      ),
    );
    expect(decodeDg3(miscounted)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    const plain = encodeTlv(
      0x63,
      encodeTlv(
        0x7f61,
        encodeTlv(0x02, Uint8Array.of(1)),
        encodeTlv(0x7f60, header, encodeTlv(0x5f2e, record)),
      ),
    );
    expect(decodeDg3(plain).ok).toBe(true);
  });
});

describe('untrusted bytes (fast-check)', () => {
  const small = encodeDg3([
    {
      record: {
        compression: 'raw',
        images: [{ position: 2, width: 8, height: 4, data: new Uint8Array(32).fill(9) }],
      },
    },
    {
      record: {
        compression: 'wsq',
        images: [{ position: 7, width: 4, height: 4, data: new Uint8Array(20).fill(3) }],
      },
    },
  ]);

  it('random bytes never throw the DG3 or record decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(typeof decodeDg3(bytes).ok).toBe('boolean');
        expect(typeof decodeFingerRecord(bytes).ok).toBe('boolean');
      }),
      { seed, numRuns: 400 },
    );
  });

  it('mutated DG3 files decode or fail with a reason; their images decode or fail, never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(small.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const bytes = small.slice();
          for (const [at, value] of edits) bytes[at] = value;
          const result = decodeDg3(bytes);
          if (!result.ok) return;
          for (const finger of dg3Fingers(result.value))
            expect(typeof decodeFingerImage(finger).ok).toBe('boolean');
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it('records round-trip whatever their fields', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            position: fc.integer({ min: 0, max: 10 }),
            width: fc.integer({ min: 1, max: 4000 }),
            height: fc.integer({ min: 1, max: 4000 }),
            quality: fc.integer({ min: 0, max: 255 }),
            data: fc.uint8Array({ minLength: 1, maxLength: 40 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.constantFrom('raw', 'wsq', 'jpeg', 'jpeg2000', 'png' as const),
        (images, compression) => {
          const decoded = decodeFingerRecord(encodeFingerRecord({ compression, images }));
          if (!decoded.ok) throw new Error(decoded.error.detail);
          expect(decoded.value.compression).toBe(compression);
          expect(
            decoded.value.images.map(({ position, width, height, quality, data }) => ({
              position,
              width,
              height,
              quality,
              data,
            })),
          ).toEqual(images);
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});
