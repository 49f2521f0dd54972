import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto as crypto } from '../../../drivers/crypto/node-crypto.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  answerExternalAuthenticate,
  BAC_GET_CHALLENGE,
  type BacChipNonces,
  buildExternalAuthenticate,
  createBacChipNonces,
  finishBac,
  parseGetChallengeResponse,
  startBac,
} from '../../../protocol/icao9303/bac.ts';
import type { Icao9303Crypto } from '../../../protocol/icao9303/crypto.ts';
import {
  adjustParity,
  bacKeySeed,
  bacKeysFromSeed,
  deriveBacKeys,
  deriveSessionKeys,
  KDF_COUNTER,
  kdf,
  mrzAscii,
} from '../../../protocol/icao9303/keys.ts';
import {
  cccdDocumentNumber,
  cccdMrzInformation,
  checkDigit,
  documentNumberFromTd1,
  mrzInformation,
  normalizeDocumentNumber,
  td1DocumentNumber,
  validateMrzDate,
} from '../../../protocol/icao9303/mrz-info.ts';
import { SmCardSession, SmReaderSession, tdesSuite } from '../../../protocol/icao9303/secure-messaging.ts';
import { encodeCommand } from '../../../protocol/iso7816/apdu.ts';
import { readReferenceJson } from '../../support/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

type Hex = string | { readonly hex: string };

interface Vectors {
  readonly bac_worked_example: {
    readonly mrz_fields: Readonly<
      Record<
        'document_number' | 'doc_check' | 'date_of_birth' | 'dob_check' | 'date_of_expiry' | 'doe_check',
        string
      >
    >;
    readonly MRZ_information: { readonly ascii: string; readonly hex: string };
  } & Readonly<Record<string, Hex | unknown>>;
  readonly cccd_synthetic_bac_example: Readonly<Record<string, string>>;
  readonly pace_worked_example_ecdh_gm: Readonly<Record<string, unknown>> & {
    readonly mrz: {
      readonly document_number: string;
      readonly dob: string;
      readonly doe: string;
      readonly MRZ_information: string;
    };
  };
}

const vectors = readReferenceJson('icao9303-vectors.json') as Vectors;
const bacExample = vectors.bac_worked_example;
const cccd = vectors.cccd_synthetic_bac_example;
const pace = vectors.pace_worked_example_ecdh_gm;

/** A value of the BAC worked example as bytes; the file writes some as `{ hex }`. */
function bac(name: string): Uint8Array {
  const entry = bacExample[name] as Hex | undefined;
  if (entry === undefined) throw new Error(`bac_worked_example.${name} missing from the vectors`);
  return fromHex(typeof entry === 'string' ? entry : entry.hex);
}

function paceHex(name: string): Uint8Array {
  const entry = pace[name];
  if (typeof entry !== 'string')
    throw new Error(`pace_worked_example_ecdh_gm.${name} missing from the vectors`);
  return fromHex(entry);
}

function hexOf(bytes: Uint8Array): string {
  return toHex(bytes);
}

const keysD = { KEnc: bac('KEnc'), KMac: bac('KMac') };

describe('MRZ check digits (9303-3 §4.9)', () => {
  it('reproduces the check digits of the 9303-11 App. D example', () => {
    const f = bacExample.mrz_fields;
    expect(checkDigit(f.document_number)).toEqual({ ok: true, value: Number(f.doc_check) });
    expect(checkDigit(f.date_of_birth)).toEqual({ ok: true, value: Number(f.dob_check) });
    expect(checkDigit(f.date_of_expiry)).toEqual({ ok: true, value: Number(f.doe_check) });
  });

  it('reproduces the check digits of the CCCD example, the 12-digit ID included', () => {
    expect(checkDigit(cccd.document_number ?? '')).toEqual({ ok: true, value: Number(cccd.doc_check) });
    expect(checkDigit(cccd.dob ?? '')).toEqual({ ok: true, value: Number(cccd.dob_check) });
    expect(checkDigit(cccd.doe ?? '')).toEqual({ ok: true, value: Number(cccd.doe_check) });
    expect(checkDigit(cccd.id12 ?? '')).toEqual({ ok: true, value: Number(cccd.id12_check_digit) });
  });

  it('values letters A=10 … Z=35 and the filler as 0', () => {
    // A=10 weight 7 → 70 → 0; Z=35 weight 7 → 245 → 5; '<' → 0; 'AZ' = 70 + 105 = 175 → 5.
    expect(checkDigit('A')).toEqual({ ok: true, value: 0 });
    expect(checkDigit('Z')).toEqual({ ok: true, value: 5 });
    expect(checkDigit('<<<')).toEqual({ ok: true, value: 0 });
    expect(checkDigit('AZ')).toEqual({ ok: true, value: 5 });
    expect(checkDigit('')).toEqual({ ok: true, value: 0 });
  });

  it('refuses characters outside 0-9 A-Z < with their position', () => {
    const result = checkDigit('L8989o2C<', 'documentNumber');
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'invalid-character', field: 'documentNumber', position: 5 },
    });
    expect(checkDigit('12 3').ok).toBe(false);
    expect(checkDigit('Đ').ok).toBe(false);
  });
});

describe('MRZ_information (9303-11 §9.7.2, App. D.2)', () => {
  it('builds the App. D.2 string and bytes', () => {
    const f = bacExample.mrz_fields;
    const info = mrzInformation({
      documentNumber: f.document_number,
      dateOfBirth: f.date_of_birth,
      dateOfExpiry: f.date_of_expiry,
    });
    expect(info).toEqual({ ok: true, value: bacExample.MRZ_information.ascii });
    expect(hexOf(mrzAscii(bacExample.MRZ_information.ascii))).toBe(bacExample.MRZ_information.hex);
  });

  it('pads a short document number with fillers and accepts lower case and spaces as typed', () => {
    expect(
      mrzInformation({ documentNumber: ' l898902c ', dateOfBirth: '690806', dateOfExpiry: '940623' }),
    ).toEqual({
      ok: true,
      value: bacExample.MRZ_information.ascii,
    });
    expect(normalizeDocumentNumber('AB12')).toEqual({ ok: true, value: 'AB12<<<<<' });
  });

  it('builds the PACE worked example (App. G.1) MRZ_information', () => {
    const { mrz } = pace;
    expect(
      mrzInformation({ documentNumber: mrz.document_number, dateOfBirth: mrz.dob, dateOfExpiry: mrz.doe }),
    ).toEqual({ ok: true, value: mrz.MRZ_information });
  });

  it('uses a long (TD1 overflow) document number whole, with the check digit over all of it', () => {
    // 9303-5 lays 'D23145890734' out as 'D23145890<7349<…' on line 1; the check digit 9 recomputed by hand.
    expect(
      mrzInformation({ documentNumber: 'D23145890734', dateOfBirth: '740812', dateOfExpiry: '120415' }),
    ).toEqual({
      ok: true,
      value: 'D23145890734974081221204159',
    });
    expect(td1DocumentNumber('D23145890734')).toEqual({
      ok: true,
      value: { field: 'D23145890', check: '<', optionalDataPrefix: '7349<' },
    });
    expect(documentNumberFromTd1('D23145890', '<', '7349<<<<<<<<<<<')).toEqual({
      ok: true,
      value: 'D23145890734',
    });
    expect(documentNumberFromTd1('D23145890', '<', '7348<<<<<<<<<<<')).toMatchObject({
      ok: false,
      error: { reason: 'check-digit-mismatch' },
    });
    expect(documentNumberFromTd1('D23145890', '<', '<<<<<<<<<<<<<<<')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length' },
    });
    expect(td1DocumentNumber('L898902C')).toEqual({
      ok: true,
      value: { field: 'L898902C<', check: '3', optionalDataPrefix: '' },
    });
    expect(documentNumberFromTd1('L898902C<', '3', '<<<<<<<<<<<<<<<')).toEqual({
      ok: true,
      value: 'L898902C',
    });
  });

  it('refuses empty, over-long and malformed document numbers', () => {
    expect(normalizeDocumentNumber('')).toMatchObject({ ok: false, error: { reason: 'invalid-length' } });
    expect(normalizeDocumentNumber('<<<')).toMatchObject({ ok: false, error: { reason: 'invalid-length' } });
    expect(normalizeDocumentNumber('A'.repeat(22)).ok).toBe(true);
    expect(normalizeDocumentNumber('A'.repeat(23))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length' },
    });
    expect(normalizeDocumentNumber('AB-12')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-character', position: 2 },
    });
  });

  it('validates YYMMDD dates', () => {
    expect(validateMrzDate('690806', 'dateOfBirth')).toEqual({ ok: true, value: '690806' });
    expect(validateMrzDate('680229', 'dateOfBirth').ok).toBe(true);
    expect(validateMrzDate('000229', 'dateOfExpiry').ok).toBe(true);
    expect(validateMrzDate('690229', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-date', position: 4 },
    });
    expect(validateMrzDate('691306', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-date', position: 2 },
    });
    expect(validateMrzDate('690000', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-date' },
    });
    expect(validateMrzDate('690431', 'dateOfExpiry')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-date' },
    });
    expect(validateMrzDate('6908', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length' },
    });
    expect(validateMrzDate('69O806', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-character', position: 2, field: 'dateOfBirth' },
    });
  });

  it('accepts an unknown day or month and day of birth as fillers, never in an expiry date', () => {
    expect(validateMrzDate('69<<<<', 'dateOfBirth').ok).toBe(true);
    expect(validateMrzDate('6908<<', 'dateOfBirth').ok).toBe(true);
    expect(validateMrzDate('69<<06', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-date' },
    });
    expect(validateMrzDate('69080<', 'dateOfBirth')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-date' },
    });
    expect(validateMrzDate('6908<<', 'dateOfExpiry')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-character' },
    });
  });

  it('reports the first bad field', () => {
    expect(
      mrzInformation({ documentNumber: 'L898902C', dateOfBirth: '691306', dateOfExpiry: '9406' }),
    ).toMatchObject({
      ok: false,
      error: { field: 'dateOfBirth', reason: 'invalid-date' },
    });
    expect(
      mrzInformation({ documentNumber: 'L898902C', dateOfBirth: '690806', dateOfExpiry: '9406' }),
    ).toMatchObject({
      ok: false,
      error: { field: 'dateOfExpiry', reason: 'invalid-length' },
    });
  });

  it('never throws and only yields MRZ text on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 8 }),
        fc.string({ maxLength: 8 }),
        (d, b, e) => {
          const result = mrzInformation({ documentNumber: d, dateOfBirth: b, dateOfExpiry: e });
          if (result.ok) expect(result.value).toMatch(/^[0-9A-Z<]{9,22}[0-9][0-9<]{6}[0-9][0-9]{6}[0-9]$/);
          else expect(result.error.reason).toMatch(/^(invalid-character|invalid-length|invalid-date)$/);
        },
      ),
      { seed, numRuns: 500 },
    );
  });
});

describe('Vietnamese CCCD BAC input (reference notes §8)', () => {
  it('takes the last 9 digits of the 12-digit ID as the document number', () => {
    expect(cccdDocumentNumber(cccd.id12 ?? '')).toEqual({ ok: true, value: cccd.document_number });
    expect(cccdDocumentNumber('080087016029')).toEqual({ ok: true, value: '087016029' });
  });

  it('reproduces the synthetic example: MRZ_information, Kseed, KEnc, KMac', () => {
    const info = cccdMrzInformation(cccd.id12 ?? '', cccd.dob ?? '', cccd.doe ?? '');
    expect(info).toEqual({ ok: true, value: cccd.MRZ_information });
    const text = cccd.MRZ_information ?? '';
    expect(hexOf(bacKeySeed(crypto, text))).toBe(cccd.Kseed);
    const keys = deriveBacKeys(crypto, text);
    expect(hexOf(keys.KEnc)).toBe(cccd.KEnc);
    expect(hexOf(keys.KMac)).toBe(cccd.KMac);
  });

  it('refuses IDs that are not 12 digits', () => {
    expect(cccdDocumentNumber('09901234')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length', field: 'id12' },
    });
    expect(cccdDocumentNumber('0010990123456')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length' },
    });
    expect(cccdDocumentNumber('00109901234A')).toMatchObject({
      ok: false,
      error: { reason: 'invalid-character', position: 11 },
    });
    expect(cccdMrzInformation('001099012345', '991301', '390101')).toMatchObject({
      ok: false,
      error: { field: 'dateOfBirth', reason: 'invalid-date' },
    });
  });
});

describe('key derivation (9303-11 §9.7.1, App. D.1)', () => {
  it('derives Kseed, then KEnc and KMac with odd parity', () => {
    expect(hexOf(bacKeySeed(crypto, bacExample.MRZ_information.ascii))).toBe(hexOf(bac('Kseed')));
    expect(hexOf(crypto.sha1(bac('KEnc_D')).slice(0, 16))).toBe(hexOf(bac('KEnc_before_parity')));
    expect(hexOf(adjustParity(bac('KEnc_before_parity')))).toBe(hexOf(bac('KEnc')));
    const keys = bacKeysFromSeed(crypto, bac('Kseed'));
    expect(hexOf(keys.KEnc)).toBe(hexOf(bac('KEnc')));
    expect(hexOf(keys.KMac)).toBe(hexOf(bac('KMac')));
    expect(deriveBacKeys(crypto, bacExample.MRZ_information.ascii)).toEqual(keys);
  });

  it('gives every byte odd parity and keeps the upper 7 bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (key) => {
        const adjusted = adjustParity(key);
        for (let i = 0; i < key.length; i++) {
          const b = adjusted[i] ?? 0;
          let ones = 0;
          for (let v = b; v; v >>= 1) ones += v & 1;
          expect(ones % 2).toBe(1);
          expect(b & 0xfe).toBe((key[i] ?? 0) & 0xfe);
        }
      }),
      { seed },
    );
  });

  it('derives the AES-128 PACE password key and session keys of App. G.1', () => {
    const pi = crypto.sha1(mrzAscii(pace.mrz.MRZ_information));
    expect(hexOf(pi)).toBe(hexOf(paceHex('pi_SHA1_MRZ_information')));
    expect(hexOf(kdf(crypto, pi, KDF_COUNTER.PACE, 'aes-128'))).toBe(hexOf(paceHex('K_pi')));
    const session = deriveSessionKeys(crypto, paceHex('shared_secret_K_x'), 'aes-128');
    expect(hexOf(session.KSenc)).toBe(hexOf(paceHex('KSenc')));
    expect(hexOf(session.KSmac)).toBe(hexOf(paceHex('KSmac')));
  });

  it('uses SHA-256 truncated for AES-192 and AES-256', () => {
    const secret = paceHex('shared_secret_K_x');
    const input = new Uint8Array([...secret, 0, 0, 0, 1]);
    const sha256 = crypto.sha256(input);
    expect(hexOf(kdf(crypto, secret, 1, 'aes-192'))).toBe(hexOf(sha256.slice(0, 24)));
    expect(hexOf(kdf(crypto, secret, 1, 'aes-256'))).toBe(hexOf(sha256));
    expect(hexOf(kdf(crypto, secret, 1, 'aes-128'))).toBe(hexOf(crypto.sha1(input).slice(0, 16)));
  });

  it('throws RangeError for a counter that is not 32-bit unsigned', () => {
    expect(() => kdf(crypto, bac('Kseed'), -1, '3des')).toThrow(RangeError);
    expect(() => kdf(crypto, bac('Kseed'), 2 ** 32, '3des')).toThrow(RangeError);
    expect(() => kdf(crypto, new Uint8Array(2000), 1, '3des')).toThrow(RangeError);
  });
});

describe('BAC, reader side (9303-11 §4.3, App. D.3)', () => {
  const auth = () => buildExternalAuthenticate(crypto, keysD, bac('RND_IC'), bac('RND_IFD'), bac('K_IFD'));

  it('encodes GET CHALLENGE as 00 84 00 00 08', () => {
    expect(hexOf(encodeCommand(BAC_GET_CHALLENGE))).toBe('0084000008');
  });

  it('builds E.IFD, M.IFD and the EXTERNAL AUTHENTICATE APDU byte-exact', () => {
    const a = auth();
    expect(hexOf(a.data.subarray(0, 32))).toBe(hexOf(bac('E_IFD')));
    expect(hexOf(a.data.subarray(32))).toBe(hexOf(bac('M_IFD')));
    expect(hexOf(a.data)).toBe(hexOf(bac('cmd_data')));
    expect(hexOf(encodeCommand(a.command))).toBe(hexOf(bac('EXTERNAL_AUTHENTICATE_apdu')));
  });

  it("verifies the chip's answer and derives KSenc, KSmac and the SSC", () => {
    const result = finishBac(crypto, auth(), { data: bac('resp_data'), sw: 0x9000 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(hexOf(result.value.KSenc)).toBe(hexOf(bac('KSenc')));
    expect(hexOf(result.value.KSmac)).toBe(hexOf(bac('KSmac')));
    expect(hexOf(result.value.SSC)).toBe(hexOf(bac('SSC')));
  });

  it('reads RND.IC from the GET CHALLENGE answer, refusing wrong lengths and statuses', () => {
    expect(parseGetChallengeResponse({ data: bac('RND_IC'), sw: 0x9000 })).toEqual({
      ok: true,
      value: bac('RND_IC'),
    });
    expect(parseGetChallengeResponse({ data: new Uint8Array(7), sw: 0x9000 })).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length', statusWord: 0x9000 },
    });
    expect(parseGetChallengeResponse({ data: new Uint8Array(0), sw: 0x6d00 })).toMatchObject({
      ok: false,
      error: { reason: 'unexpected-status', statusWord: 0x6d00 },
    });
  });

  it('reports a refused authentication (wrong MRZ) as access-denied for 6300 and 6982', () => {
    for (const sw of [0x6300, 0x6982]) {
      expect(finishBac(crypto, auth(), { data: new Uint8Array(0), sw })).toMatchObject({
        ok: false,
        error: { reason: 'access-denied', statusWord: sw },
      });
    }
    expect(finishBac(crypto, auth(), { data: new Uint8Array(0), sw: 0x6a88 })).toMatchObject({
      ok: false,
      error: { reason: 'unexpected-status' },
    });
    expect(finishBac(crypto, auth(), { data: bac('resp_data').subarray(0, 39), sw: 0x9000 })).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length' },
    });
  });

  it('refuses an answer whose M.IC does not verify (a flipped bit, or keys from another MRZ)', () => {
    const flipped = bac('resp_data');
    flipped[5] = (flipped[5] ?? 0) ^ 0x01;
    expect(finishBac(crypto, auth(), { data: flipped, sw: 0x9000 })).toMatchObject({
      ok: false,
      error: { reason: 'mac-mismatch' },
    });
    const otherKeys = deriveBacKeys(crypto, cccd.MRZ_information ?? '');
    const wrong = buildExternalAuthenticate(crypto, otherKeys, bac('RND_IC'), bac('RND_IFD'), bac('K_IFD'));
    expect(finishBac(crypto, wrong, { data: bac('resp_data'), sw: 0x9000 })).toMatchObject({
      ok: false,
      error: { reason: 'mac-mismatch' },
    });
  });

  it('refuses an answer that does not echo RND.IFD', () => {
    // The chip answered another reader's run with the same keys and RND.IC: the MAC verifies, the echo does not.
    const other = buildExternalAuthenticate(
      crypto,
      keysD,
      bac('RND_IC'),
      fromHex('0102030405060708'),
      bac('K_IFD'),
    );
    const answer = answerExternalAuthenticate(
      crypto,
      keysD,
      { rndIc: bac('RND_IC'), kIc: bac('K_IC') },
      other.data,
    );
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(finishBac(crypto, auth(), { data: answer.value.data, sw: 0x9000 })).toMatchObject({
      ok: false,
      error: { reason: 'nonce-mismatch' },
    });
  });

  it('takes RND.IFD and K.IFD from the injected random source', () => {
    const calls: number[] = [];
    const fixed: Icao9303Crypto = {
      ...crypto,
      randomBytes: (n) => {
        calls.push(n);
        return n === 8 ? bac('RND_IFD') : bac('K_IFD');
      },
    };
    const a = startBac(fixed, keysD, bac('RND_IC'));
    expect(calls).toEqual([8, 16]);
    expect(hexOf(a.data)).toBe(hexOf(bac('cmd_data')));
  });

  it('throws RangeError for nonces of the wrong length (programmer error)', () => {
    expect(() =>
      buildExternalAuthenticate(crypto, keysD, new Uint8Array(7), bac('RND_IFD'), bac('K_IFD')),
    ).toThrow(RangeError);
    expect(() =>
      buildExternalAuthenticate(crypto, keysD, bac('RND_IC'), bac('RND_IFD'), new Uint8Array(8)),
    ).toThrow(RangeError);
  });
});

describe('BAC, chip side', () => {
  const chip: BacChipNonces = { rndIc: bac('RND_IC'), kIc: bac('K_IC') };

  it('answers the App. D.3 EXTERNAL AUTHENTICATE with E.IC ‖ M.IC and the same session', () => {
    const answer = answerExternalAuthenticate(crypto, keysD, chip, bac('cmd_data'));
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(hexOf(answer.value.data)).toBe(hexOf(bac('resp_data')));
    expect(hexOf(answer.value.session.KSenc)).toBe(hexOf(bac('KSenc')));
    expect(hexOf(answer.value.session.KSmac)).toBe(hexOf(bac('KSmac')));
    expect(hexOf(answer.value.session.SSC)).toBe(hexOf(bac('SSC')));
  });

  it('refuses a reader holding keys from another MRZ with 6300, or 6982 when configured', () => {
    const otherKeys = deriveBacKeys(crypto, cccd.MRZ_information ?? '');
    expect(answerExternalAuthenticate(crypto, otherKeys, chip, bac('cmd_data'))).toMatchObject({
      ok: false,
      error: { reason: 'mac-mismatch', statusWord: 0x6300 },
    });
    expect(
      answerExternalAuthenticate(crypto, otherKeys, chip, bac('cmd_data'), { refusal: 0x6982 }),
    ).toMatchObject({
      ok: false,
      error: { reason: 'mac-mismatch', statusWord: 0x6982 },
    });
  });

  it('refuses data that does not echo its RND.IC, and data of the wrong length with 6700', () => {
    const stale = { rndIc: fromHex('0000000000000001'), kIc: bac('K_IC') };
    expect(answerExternalAuthenticate(crypto, keysD, stale, bac('cmd_data'))).toMatchObject({
      ok: false,
      error: { reason: 'nonce-mismatch', statusWord: 0x6300 },
    });
    expect(answerExternalAuthenticate(crypto, keysD, chip, bac('cmd_data').subarray(0, 32))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-length', statusWord: 0x6700 },
    });
  });

  it('round-trips with the reader side on random nonces, and the sessions then talk', () => {
    const keys = deriveBacKeys(crypto, cccd.MRZ_information ?? '');
    for (let run = 0; run < 20; run++) {
      const nonces = createBacChipNonces(crypto);
      const reader = startBac(crypto, keys, nonces.rndIc);
      const answer = answerExternalAuthenticate(crypto, keys, nonces, reader.data);
      expect(answer.ok).toBe(true);
      if (!answer.ok) return;
      const done = finishBac(crypto, reader, { data: answer.value.data, sw: 0x9000 });
      expect(done).toEqual({ ok: true, value: answer.value.session });
      if (!done.ok) return;
      const readerSm = new SmReaderSession(tdesSuite(crypto, done.value), done.value.SSC);
      const cardSm = new SmCardSession(tdesSuite(crypto, answer.value.session), answer.value.session.SSC);
      const command = cardSm.unwrapCommand(
        readerSm.wrapCommand({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E') }),
      );
      expect(command).toMatchObject({ ok: true, value: { ins: 0xa4, data: fromHex('011E') } });
      expect(readerSm.unwrapResponse(cardSm.wrapResponse(new Uint8Array(0), 0x9000))).toEqual({
        ok: true,
        value: { data: new Uint8Array(0), sw: 0x9000 },
      });
    }
  });
});
