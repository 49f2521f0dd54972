import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto as crypto } from '../../../drivers/crypto/node-crypto.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { aesCmac, pad2, retailMac, unpad2 } from '../../../protocol/icao9303/mac.ts';
import {
  aesSuite,
  SM_RESPONSE_MAX,
  SmCardSession,
  type SmCipherSuite,
  SmReaderSession,
  tdesSuite,
} from '../../../protocol/icao9303/secure-messaging.ts';
import { type CommandApdu, decodeCommand } from '../../../protocol/iso7816/apdu.ts';
import { concatBytes, encodeTlv } from '../../../protocol/iso7816/tlv.ts';
import { readReferenceJson } from '../../support/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

interface SmStep {
  readonly unprotected_apdu: string;
  readonly SSC: string;
  readonly protected_apdu: string;
  readonly response_apdu: string;
  readonly response_SSC: string;
  readonly plaintext?: string;
}

interface Vectors {
  readonly secure_messaging_worked_example: {
    readonly keys: { readonly KSenc: string; readonly KSmac: string; readonly SSC_initial: string };
    readonly select_EF_COM: SmStep;
    readonly read_binary_first_4_bytes: SmStep;
    readonly read_binary_remaining_18_bytes_offset_4: SmStep & { readonly full_EF_COM: string };
    readonly final_SSC: string;
  };
  readonly retail_mac_iso9797_1_alg3_padding2: {
    readonly vectors: readonly {
      readonly key: string;
      readonly msg_unpadded: string;
      readonly mac: string;
    }[];
    readonly padding_method_2_vectors_gmrtd: readonly { readonly in: string; readonly out: string }[];
  };
  readonly pace_worked_example_ecdh_gm: Readonly<Record<string, unknown>>;
}

const vectors = readReferenceJson('icao9303-vectors.json') as Vectors;
const sm = vectors.secure_messaging_worked_example;
const steps = [
  sm.select_EF_COM,
  sm.read_binary_first_4_bytes,
  sm.read_binary_remaining_18_bytes_offset_4,
] as const;
const tdesKeys = { KSenc: fromHex(sm.keys.KSenc), KSmac: fromHex(sm.keys.KSmac) };

function paceHex(name: string): Uint8Array {
  const entry = vectors.pace_worked_example_ecdh_gm[name];
  if (typeof entry !== 'string')
    throw new Error(`pace_worked_example_ecdh_gm.${name} missing from the vectors`);
  return fromHex(entry);
}

/** The plain command of an unprotected APDU in the vectors. */
function plainCommand(hex: string): CommandApdu {
  const decoded = decodeCommand(fromHex(hex));
  if (!decoded.ok) throw new Error(`bad vector APDU ${hex}`);
  const { cla, ins, p1, p2, data, le } = decoded.value;
  return le === undefined ? { cla, ins, p1, p2, data } : { cla, ins, p1, p2, data, le };
}

function readerD(): SmReaderSession {
  return new SmReaderSession(tdesSuite(crypto, tdesKeys), fromHex(sm.keys.SSC_initial));
}

function cardD(): SmCardSession {
  return new SmCardSession(tdesSuite(crypto, tdesKeys), fromHex(sm.keys.SSC_initial));
}

function increment(counter: Uint8Array): Uint8Array {
  const out = counter.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = ((out[i] ?? 0) + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
}

/**
 * A response with a valid MAC around arbitrary DO87 content, for the checks that come after the MAC.
 * `ssc` is the counter the response is checked under.
 */
function macedResponse(suite: SmCipherSuite, ssc: Uint8Array, do87Value: Uint8Array): Uint8Array {
  const objects = concatBytes(encodeTlv(0x87, do87Value), fromHex('99029000'));
  const mac = suite.mac(concatBytes(ssc, objects));
  return concatBytes(objects, encodeTlv(0x8e, mac), fromHex('9000'));
}

describe('ISO/IEC 9797-1 padding method 2', () => {
  it('pads the gmrtd vectors and unpads them back', () => {
    for (const v of vectors.retail_mac_iso9797_1_alg3_padding2.padding_method_2_vectors_gmrtd) {
      expect(toHex(pad2(fromHex(v.in), 8))).toBe(v.out);
      expect(unpad2(fromHex(v.out), 8)).toEqual({ ok: true, value: fromHex(v.in) });
    }
  });

  it('pads to 16-byte blocks for AES', () => {
    expect(toHex(pad2(fromHex('011E'), 16))).toBe('011E8000000000000000000000000000');
    expect(pad2(new Uint8Array(16), 16).length).toBe(32);
  });

  it('refuses malformed padding with the offset', () => {
    expect(unpad2(new Uint8Array(0), 8)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(unpad2(fromHex('12348000000000'), 8)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 7 },
    });
    expect(unpad2(fromHex('1234567812345678'), 8)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 7 },
    });
    expect(unpad2(fromHex('1234800000000001'), 8)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 7 },
    });
    expect(unpad2(fromHex('1234800000000000 0000000000000000'), 8)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 8 },
    });
    expect(unpad2(fromHex('8000000000000000'), 16)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
  });

  it('round-trips any data, and unpad never throws', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.constantFrom(8 as const, 16 as const),
        (data, block) => {
          const padded = pad2(data, block);
          expect(padded.length % block).toBe(0);
          expect(unpad2(padded, block)).toEqual({ ok: true, value: data });
        },
      ),
      { seed },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        unpad2(bytes, 8);
      }),
      { seed },
    );
  });
});

describe('retail MAC (ISO/IEC 9797-1 MAC algorithm 3)', () => {
  it('reproduces every vector', () => {
    const list = vectors.retail_mac_iso9797_1_alg3_padding2.vectors;
    expect(list.length).toBe(5);
    for (const v of list)
      expect(toHex(retailMac(crypto, fromHex(v.key), fromHex(v.msg_unpadded)))).toBe(v.mac);
  });

  it('throws RangeError for a key that is not 16 bytes', () => {
    expect(() => retailMac(crypto, new Uint8Array(8), new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('AES-CMAC (RFC 4493, SP 800-38B)', () => {
  const key128 = fromHex('2B7E151628AED2A6ABF7158809CF4F3C');
  const message = fromHex(
    '6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710',
  );

  it('reproduces the four RFC 4493 examples', () => {
    expect(toHex(aesCmac(crypto, key128, message.subarray(0, 0)))).toBe('BB1D6929E95937287FA37D129B756746');
    expect(toHex(aesCmac(crypto, key128, message.subarray(0, 16)))).toBe('070A16B46B4D4144F79BDD9DD04A287C');
    expect(toHex(aesCmac(crypto, key128, message.subarray(0, 40)))).toBe('DFA66747DE9AE63030CA32611497C827');
    expect(toHex(aesCmac(crypto, key128, message))).toBe('51F0BEBF7E3B9D92FC49741779363CFE');
  });

  it('reproduces SP 800-38B examples for 192- and 256-bit keys', () => {
    const key192 = fromHex('8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B');
    const key256 = fromHex('603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4');
    expect(toHex(aesCmac(crypto, key192, message.subarray(0, 40)))).toBe('8A1DE5BE2EB31AAD089A82E6EE908B0E');
    expect(toHex(aesCmac(crypto, key256, message.subarray(0, 0)))).toBe('028962F61B7BF89EFC6B551F4667D983');
    expect(toHex(aesCmac(crypto, key256, message.subarray(0, 40)))).toBe('AAF3D8F1DE5640C232F5B169B9C911E6');
  });

  it('computes the PACE authentication tokens of 9303-11 App. G.1', () => {
    const KSmac = paceHex('KSmac');
    expect(toHex(aesCmac(crypto, KSmac, paceHex('T_PCD_input_7F49')).subarray(0, 8))).toBe(
      toHex(paceHex('T_PCD')),
    );
    expect(toHex(aesCmac(crypto, KSmac, paceHex('T_IC_input_7F49')).subarray(0, 8))).toBe(
      toHex(paceHex('T_IC')),
    );
  });

  it('decrypts the PACE nonce with AES-CBC (checks the injected AES)', () => {
    const s = crypto.aesCbcDecrypt(paceHex('K_pi'), new Uint8Array(16), paceHex('encrypted_nonce_z'));
    expect(toHex(s)).toBe(toHex(paceHex('decrypted_nonce_s')));
  });
});

describe('3DES secure messaging, reader side: the 9303-11 App. D.4 worked example', () => {
  it('protects SELECT EF.COM and both READ BINARYs byte-exact and recovers EF.COM', () => {
    const reader = readerD();
    const plain: Uint8Array[] = [];
    for (const step of steps) {
      const wrapped = reader.wrapCommand(plainCommand(step.unprotected_apdu));
      expect(toHex(wrapped)).toBe(step.protected_apdu);
      expect(toHex(reader.ssc)).toBe(step.SSC);
      const response = reader.unwrapResponse(fromHex(step.response_apdu));
      expect(response.ok).toBe(true);
      if (!response.ok) return;
      expect(response.value.sw).toBe(0x9000);
      expect(toHex(response.value.data)).toBe(step.plaintext ?? '');
      expect(toHex(reader.ssc)).toBe(step.response_SSC);
      plain.push(response.value.data);
    }
    expect(toHex(concatBytes(...plain))).toBe(sm.read_binary_remaining_18_bytes_offset_4.full_EF_COM);
    expect(toHex(reader.ssc)).toBe(sm.final_SSC);
    expect(reader.alive).toBe(true);
  });

  it('reports a flipped bit anywhere in a protected response as a failure and ends the session', () => {
    const response = fromHex(sm.read_binary_first_4_bytes.response_apdu);
    const body = response.length - 2;
    for (let bit = 0; bit < body * 8; bit++) {
      const reader = readerD();
      reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
      reader.unwrapResponse(fromHex(sm.select_EF_COM.response_apdu));
      reader.wrapCommand(plainCommand(sm.read_binary_first_4_bytes.unprotected_apdu));
      const mutated = response.slice();
      mutated[bit >> 3] = (mutated[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      const result = reader.unwrapResponse(mutated);
      expect(result.ok).toBe(false);
      expect(reader.alive).toBe(false);
    }
  });

  it('calls a flipped bit in the cryptogram a MAC mismatch', () => {
    const reader = readerD();
    reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
    reader.unwrapResponse(fromHex(sm.select_EF_COM.response_apdu));
    reader.wrapCommand(plainCommand(sm.read_binary_first_4_bytes.unprotected_apdu));
    const mutated = fromHex(sm.read_binary_first_4_bytes.response_apdu);
    mutated[5] = (mutated[5] ?? 0) ^ 0x01;
    expect(reader.unwrapResponse(mutated)).toMatchObject({
      ok: false,
      error: { reason: 'mac-mismatch', offset: 15 },
    });
    expect(reader.unwrapResponse(fromHex(sm.read_binary_first_4_bytes.response_apdu))).toMatchObject({
      ok: false,
      error: { reason: 'session-dead' },
    });
    expect(() => reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu))).toThrow(/ended/);
  });

  it('reports plain 6987 and 6988 as a dead session', () => {
    for (const sw of ['6987', '6988']) {
      const reader = readerD();
      reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
      expect(reader.unwrapResponse(fromHex(sw))).toMatchObject({
        ok: false,
        error: { reason: 'session-dead', statusWord: Number.parseInt(sw, 16) },
      });
      expect(reader.alive).toBe(false);
    }
  });

  it('reports another plain status word as unprotected-status and keeps the session', () => {
    const reader = readerD();
    reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
    expect(reader.unwrapResponse(fromHex('6A82'))).toMatchObject({
      ok: false,
      error: { reason: 'unprotected-status', statusWord: 0x6a82 },
    });
    expect(reader.alive).toBe(true);
  });

  it('reports missing DO99 or DO8E, truncation and stray objects', () => {
    const cases: readonly [string, string][] = [
      ['8E08FA855A5D4C50A8ED9000', 'missing-sm-objects'],
      ['990290009000', 'missing-sm-objects'],
      ['8709019FF0EC34F99226519000', 'missing-sm-objects'],
      ['990290008E08FA855A5D4C509000', 'truncated'],
      ['99', 'truncated'],
      ['', 'truncated'],
      ['99029000', 'truncated'],
      ['990190008E08FA855A5D4C50A8ED9000', 'invalid-value'],
      ['990290008E07FA855A5D4C50A89000', 'invalid-value'],
      ['990290008E08FA855A5D4C50A8ED53009000', 'invalid-value'],
      ['530199990290008E08FA855A5D4C50A8ED9000', 'invalid-value'],
      ['9902900087090100000000000000008E08FA855A5D4C50A8ED9000', 'invalid-value'],
      ['00990290008E08FA855A5D4C50A8ED9000', 'invalid-value'],
      ['99848000000000', 'too-large'],
    ];
    for (const [hex, reason] of cases) {
      const reader = readerD();
      reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
      const result = reader.unwrapResponse(fromHex(hex));
      expect({ hex, result }).toMatchObject({ hex, result: { ok: false, error: { reason } } });
    }
  });

  it('refuses responses longer than the bound without reading them', () => {
    const reader = readerD();
    reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
    expect(reader.unwrapResponse(new Uint8Array(SM_RESPONSE_MAX + 1))).toMatchObject({
      ok: false,
      error: { reason: 'too-large' },
    });
  });

  it('reports bad padding and a bad padding indicator behind a valid MAC', () => {
    const suite = tdesSuite(crypto, tdesKeys);
    const badPadding = concatBytes(
      Uint8Array.of(0x01),
      crypto.tdesCbcEncrypt(tdesKeys.KSenc, new Uint8Array(8), fromHex('60145F0101020304')),
    );
    const badIndicator = concatBytes(
      Uint8Array.of(0x02),
      crypto.tdesCbcEncrypt(tdesKeys.KSenc, new Uint8Array(8), fromHex('60145F0180000000')),
    );
    const partialBlock = fromHex('0160145F01');
    const expectations: readonly [Uint8Array, string][] = [
      [badPadding, 'bad-padding'],
      [badIndicator, 'invalid-value'],
      [partialBlock, 'invalid-value'],
      [Uint8Array.of(0x01), 'invalid-value'],
    ];
    for (const [value, reason] of expectations) {
      const reader = readerD();
      reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
      const response = macedResponse(suite, increment(reader.ssc), value);
      expect(reader.unwrapResponse(response)).toMatchObject({ ok: false, error: { reason } });
    }
  });

  it('takes the status word from DO99, under the MAC, not from the trailing plain bytes', () => {
    const reader = readerD();
    reader.wrapCommand(plainCommand(sm.select_EF_COM.unprotected_apdu));
    const response = fromHex(sm.select_EF_COM.response_apdu);
    response[response.length - 2] = 0x6a;
    response[response.length - 1] = 0x82;
    expect(reader.unwrapResponse(response)).toEqual({
      ok: true,
      value: { data: new Uint8Array(0), sw: 0x9000 },
    });
  });
});

describe('3DES secure messaging, card side: the same worked example', () => {
  it('recovers each plain command and answers with the vector responses byte-exact', () => {
    const card = cardD();
    const responses = [new Uint8Array(0), fromHex('60145F01'), fromHex(steps[2].plaintext ?? '')];
    steps.forEach((step, i) => {
      const command = card.unwrapCommand(fromHex(step.protected_apdu));
      const plain = decodeCommand(fromHex(step.unprotected_apdu));
      expect(command).toEqual(plain);
      expect(toHex(card.ssc)).toBe(step.SSC);
      expect(toHex(card.wrapResponse(responses[i] ?? new Uint8Array(0), 0x9000))).toBe(step.response_apdu);
    });
    expect(toHex(card.ssc)).toBe(sm.final_SSC);
  });

  it('refuses a tampered command with plain 6988 and forgets the session', () => {
    const card = cardD();
    const wrapped = fromHex(sm.select_EF_COM.protected_apdu);
    wrapped[8] = (wrapped[8] ?? 0) ^ 0x10;
    expect(card.unwrapCommand(wrapped)).toMatchObject({
      ok: false,
      error: { reason: 'mac-mismatch', statusWord: 0x6988 },
    });
    expect(card.alive).toBe(false);
    expect(card.unwrapCommand(fromHex(sm.select_EF_COM.protected_apdu))).toMatchObject({
      ok: false,
      error: { reason: 'session-dead' },
    });
    expect(() => card.wrapResponse(new Uint8Array(0), 0x9000)).toThrow(/ended/);
  });

  it('answers 6987 to a plain command or one without DO8E, 6700 to a malformed APDU', () => {
    expect(cardD().unwrapCommand(fromHex(sm.select_EF_COM.unprotected_apdu))).toMatchObject({
      ok: false,
      error: { reason: 'missing-sm-objects', statusWord: 0x6987 },
    });
    expect(cardD().unwrapCommand(fromHex('0CB0000003970104' + '00'))).toMatchObject({
      ok: false,
      error: { reason: 'missing-sm-objects', statusWord: 0x6987 },
    });
    expect(cardD().unwrapCommand(fromHex('0CB000'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', statusWord: 0x6700 },
    });
    expect(cardD().unwrapCommand(fromHex('0CB0000003970104'))).toMatchObject({
      ok: false,
      error: { statusWord: 0x6987 },
    });
  });

  it('refuses DO85 with an even INS and DO87 with an odd INS', () => {
    const reader = readerD();
    const odd = reader.wrapCommand({ cla: 0, ins: 0xb1, p1: 0, p2: 0, data: fromHex('5402 0080'), le: 256 });
    const asEven = odd.slice();
    asEven[1] = 0xb0;
    expect(cardD().unwrapCommand(asEven)).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', statusWord: 0x6988 },
    });
  });
});

describe('protected command layout', () => {
  it('uses DO85 for an odd INS, and the card answers in DO85', () => {
    const reader = readerD();
    const card = cardD();
    const command = { cla: 0, ins: 0xb1, p1: 0x00, p2: 0x00, data: fromHex('54020080'), le: 256 };
    const wrapped = reader.wrapCommand(command);
    // Lc 0x17 = DO85 (2 + 8: the cryptogram alone, no padding indicator) + DO97 (3) + DO8E (10).
    expect(toHex(wrapped.subarray(0, 7))).toBe('0CB10000178508');
    expect(toHex(wrapped.subarray(15, 18))).toBe('970100');
    const unwrapped = card.unwrapCommand(wrapped);
    expect(unwrapped).toEqual({ ok: true, value: { ...command, extended: false } });
    const answer = card.wrapResponse(fromHex('530401020304'), 0x9000);
    expect(answer[0]).toBe(0x85);
    expect(reader.unwrapResponse(answer)).toEqual({
      ok: true,
      value: { data: fromHex('530401020304'), sw: 0x9000 },
    });
  });

  it('writes DO97 in 1 byte short (256 → 00) and 2 bytes extended (65536 → 0000)', () => {
    const read = (le: number, extended?: boolean) => {
      const reader = readerD();
      const wrapped = reader.wrapCommand(
        { cla: 0, ins: 0xb0, p1: 0, p2: 0, le },
        extended === undefined ? {} : { extended },
      );
      const card = cardD();
      return { hex: toHex(wrapped), back: card.unwrapCommand(wrapped) };
    };
    const short256 = read(256);
    expect(short256.hex).toMatch(/^0CB000000D9701008E08[0-9A-F]{16}00$/);
    expect(short256.back).toMatchObject({ ok: true, value: { le: 256, extended: false } });
    const ext65536 = read(65536);
    expect(ext65536.hex).toMatch(/^0CB0000000000E970200008E08[0-9A-F]{16}0000$/);
    expect(ext65536.back).toMatchObject({ ok: true, value: { le: 65536, extended: true } });
    const ext1000 = read(1000);
    expect(ext1000.hex).toMatch(/^0CB0000000000E970203E88E08[0-9A-F]{16}0000$/);
    expect(ext1000.back).toMatchObject({ ok: true, value: { le: 1000, extended: true } });
    const ext256 = read(256, true);
    expect(ext256.hex).toMatch(/^0CB0000000000E970201008E08[0-9A-F]{16}0000$/);
    expect(ext256.back).toMatchObject({ ok: true, value: { le: 256, extended: true } });
  });

  it('goes extended on its own for large data, and refuses short when it cannot fit', () => {
    const reader = readerD();
    const wrapped = reader.wrapCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(300) });
    // DO87: 87 82 0131 (01 + 304 bytes of cryptogram) = 309 bytes, DO8E 10: extended Lc 00 013F.
    expect(toHex(wrapped.subarray(0, 11))).toBe('0CD6000000013F87820131');
    const before = toHex(reader.ssc);
    expect(() =>
      reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 }, { extended: false }),
    ).toThrow(RangeError);
    expect(() =>
      reader.wrapCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(240) }, { extended: false }),
    ).toThrow(RangeError);
    expect(() =>
      reader.wrapCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(65530) }),
    ).toThrow(RangeError);
    expect(() => reader.wrapCommand({ cla: 0x80, ins: 0xb0, p1: 0, p2: 0, le: 4 })).toThrow(RangeError);
    expect(() => reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 0 })).toThrow(RangeError);
    expect(toHex(reader.ssc)).toBe(before);
    // The largest short UPDATE BINARY: 239 bytes → DO87 87 81 F1 (01 + 240) = 244, + DO8E = Lc FE.
    const largest = reader.wrapCommand(
      { cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(239) },
      { extended: false },
    );
    expect(toHex(largest.subarray(0, 8))).toBe('0CD60000FE8781F1');
  });

  it('keeps the chaining bit of CLA and sets the SM bits', () => {
    const reader = readerD();
    const card = cardD();
    const wrapped = reader.wrapCommand({
      cla: 0x10,
      ins: 0x86,
      p1: 0,
      p2: 0,
      data: fromHex('7C00'),
      le: 256,
    });
    expect(wrapped[0]).toBe(0x1c);
    expect(card.unwrapCommand(wrapped)).toMatchObject({
      ok: true,
      value: { cla: 0x10, data: fromHex('7C00') },
    });
  });

  it('protects a case 1 command with DO8E alone', () => {
    const reader = readerD();
    const wrapped = reader.wrapCommand({ cla: 0, ins: 0x44, p1: 0, p2: 0 });
    expect(toHex(wrapped)).toMatch(/^0C4400000A8E08[0-9A-F]{16}00$/);
    expect(cardD().unwrapCommand(wrapped)).toEqual({
      ok: true,
      value: { cla: 0, ins: 0x44, p1: 0, p2: 0, data: new Uint8Array(0), extended: false },
    });
  });
});

describe('AES secure messaging', () => {
  // Not published vectors: computed independently with python cryptography 48 (AES, CMAC) from the
  // App. G.1 session keys, SSC starting at 0 after PACE, the IV and MAC rules of 9303-11 §9.8.
  const aesKeys = { KSenc: paceHex('KSenc'), KSmac: paceHex('KSmac') };
  const zero = new Uint8Array(16);

  it('protects SELECT EF.COM and READ BINARY and checks the answers (independent recomputation)', () => {
    const reader = new SmReaderSession(aesSuite(crypto, aesKeys), zero);
    expect(toHex(reader.wrapCommand({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E') }))).toBe(
      '0CA4020C1D871101EE0E4724F4465C1BE9C2F73ABDD73A3D8E08835D1B54575C955F00',
    );
    expect(reader.unwrapResponse(fromHex('990290008E08BEA7B381C494A0799000'))).toEqual({
      ok: true,
      value: { data: new Uint8Array(0), sw: 0x9000 },
    });
    expect(toHex(reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 }))).toBe(
      '0CB000000D9701048E08AA6BA54F44DF836400',
    );
    expect(
      reader.unwrapResponse(
        fromHex('871101645C0B1F998A088278D07942BBE94B60990290008E0894A33C6AA2D8CCC89000'),
      ),
    ).toEqual({ ok: true, value: { data: fromHex('60145F01'), sw: 0x9000 } });
    expect(toHex(reader.ssc)).toBe('00000000000000000000000000000004');
  });

  it('answers the same bytes from the card side', () => {
    const card = new SmCardSession(aesSuite(crypto, aesKeys), zero);
    expect(
      card.unwrapCommand(fromHex('0CA4020C1D871101EE0E4724F4465C1BE9C2F73ABDD73A3D8E08835D1B54575C955F00')),
    ).toMatchObject({
      ok: true,
      value: { ins: 0xa4, data: fromHex('011E') },
    });
    expect(toHex(card.wrapResponse(new Uint8Array(0), 0x9000))).toBe('990290008E08BEA7B381C494A0799000');
    expect(card.unwrapCommand(fromHex('0CB000000D9701048E08AA6BA54F44DF836400'))).toMatchObject({
      ok: true,
      value: { le: 4 },
    });
    expect(toHex(card.wrapResponse(fromHex('60145F01'), 0x9000))).toBe(
      '871101645C0B1F998A088278D07942BBE94B60990290008E0894A33C6AA2D8CCC89000',
    );
  });

  it('throws RangeError for an SSC or keys of the wrong length', () => {
    expect(() => new SmReaderSession(aesSuite(crypto, aesKeys), new Uint8Array(8))).toThrow(RangeError);
    expect(() => new SmReaderSession(tdesSuite(crypto, tdesKeys), zero)).toThrow(RangeError);
    expect(() => aesSuite(crypto, { KSenc: new Uint8Array(20), KSmac: aesKeys.KSmac })).toThrow(RangeError);
    expect(() => tdesSuite(crypto, { KSenc: new Uint8Array(24), KSmac: tdesKeys.KSmac })).toThrow(RangeError);
  });

  it('wraps the SSC around at its top', () => {
    const top = new Uint8Array(16).fill(0xff);
    const reader = new SmReaderSession(aesSuite(crypto, aesKeys), top);
    reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 1 });
    expect(toHex(reader.ssc)).toBe('00000000000000000000000000000000');
  });
});

describe('properties', () => {
  const claArb = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13);
  const commandArb: fc.Arbitrary<CommandApdu> = fc.record(
    {
      cla: claArb,
      ins: fc.integer({ min: 0, max: 0xff }),
      p1: fc.integer({ min: 0, max: 0xff }),
      p2: fc.integer({ min: 0, max: 0xff }),
      data: fc.uint8Array({ maxLength: 600 }),
      le: fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 65536 })),
    },
    { requiredKeys: ['cla', 'ins', 'p1', 'p2'] },
  );
  const exchangeArb = fc.record({
    command: commandArb,
    extended: fc.option(fc.boolean(), { nil: undefined }),
    responseData: fc.uint8Array({ maxLength: 700 }),
    sw: fc.integer({ min: 0, max: 0xffff }),
  });
  const suites = {
    '3des': () => tdesSuite(crypto, tdesKeys),
    aes: () => aesSuite(crypto, { KSenc: paceHex('KSenc'), KSmac: paceHex('KSmac') }),
  } as const;

  for (const [name, makeSuite] of Object.entries(suites)) {
    it(`${name}: reader wrap → card unwrap → card wrap → reader unwrap gives back what was sent`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          fc.array(exchangeArb, { minLength: 1, maxLength: 4 }),
          (ssc, exchanges) => {
            const suite = makeSuite();
            const start = ssc.subarray(0, suite.blockSize);
            const reader = new SmReaderSession(suite, start);
            const card = new SmCardSession(suite, start);
            for (const { command, extended, responseData, sw } of exchanges) {
              const needsExtended = (command.le ?? 0) > 256 || (command.data?.length ?? 0) > 200;
              const options =
                extended === false && needsExtended ? {} : extended === undefined ? {} : { extended };
              const wrapped = reader.wrapCommand(command, options);
              const unwrapped = card.unwrapCommand(wrapped);
              expect(unwrapped.ok).toBe(true);
              if (!unwrapped.ok) return;
              const { extended: _flag, ...plain } = unwrapped.value;
              const expected: CommandApdu = {
                cla: command.cla,
                ins: command.ins,
                p1: command.p1,
                p2: command.p2,
                data: command.data ?? new Uint8Array(0),
                ...(command.le === undefined ? {} : { le: command.le }),
              };
              expect(plain).toEqual(expected);
              const answer = reader.unwrapResponse(card.wrapResponse(responseData, sw));
              expect(answer).toEqual({ ok: true, value: { data: responseData, sw } });
              expect(toHex(reader.ssc)).toBe(toHex(card.ssc));
            }
          },
        ),
        { seed, numRuns: 150 },
      );
    });
  }

  it('unwrapResponse never throws on random bytes and never accepts them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const reader = readerD();
        reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 });
        const result = reader.unwrapResponse(bytes);
        expect(result.ok).toBe(false);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('unwrapResponse only ever fails on a mutated valid response (body bytes)', () => {
    const valid = fromHex(sm.read_binary_remaining_18_bytes_offset_4.response_apdu);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 3 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (at, xor, truncate) => {
          const reader = readerD();
          for (const step of steps.slice(0, 2)) {
            reader.wrapCommand(plainCommand(step.unprotected_apdu));
            reader.unwrapResponse(fromHex(step.response_apdu));
          }
          reader.wrapCommand(plainCommand(sm.read_binary_remaining_18_bytes_offset_4.unprotected_apdu));
          const mutated = truncate ? concatBytes(valid.subarray(0, at), valid.subarray(-2)) : valid.slice();
          if (!truncate) mutated[at] = (mutated[at] ?? 0) ^ xor;
          expect(reader.unwrapResponse(mutated).ok).toBe(false);
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it('card unwrapCommand never throws on random or mutated bytes', () => {
    const valid = fromHex(sm.select_EF_COM.protected_apdu);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        cardD().unwrapCommand(bytes);
        cardD().unwrapCommand(concatBytes(fromHex('0CA4020C'), bytes));
      }),
      { seed, numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, xor) => {
          const mutated = valid.slice();
          mutated[at] = (mutated[at] ?? 0) ^ xor;
          const result = cardD().unwrapCommand(mutated);
          // Only a change of the Le byte (last) is not under the MAC.
          if (at !== valid.length - 1) expect(result.ok).toBe(false);
        },
      ),
      { seed, numRuns: 500 },
    );
  });
});
