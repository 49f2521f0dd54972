/**
 * The reader's flow (protocol/icao9303/reader.ts) against the simulated chip
 * (simulators/card/emrtd-card.ts), in process: BAC, secure messaging, whole-file reads in few
 * APDUs, B1 reads past 32 KB, and every failure as its typed CardError.
 */
import { describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto } from '../../../drivers/crypto/node-crypto.ts';
import { fromHex } from '../../../protocol/bytes.ts';
import { CardError } from '../../../protocol/icao9303/errors.ts';
import { type ApduTrace, EmrtdReader, maxShortChunk } from '../../../protocol/icao9303/reader.ts';
import { encodeLength } from '../../../protocol/iso7816/tlv.ts';
import { type EmrtdCardOptions, SimulatedEmrtdCard } from '../../../simulators/card/emrtd-card.ts';

const crypto = nodeIcao9303Crypto;
/** ICAO 9303-11 App. D: L898902C<, 1969-08-06, 1994-06-23. */
const MRZ = 'L898902C<369080619406236';
const COM = fromHex('60145F0104303130365F36063034303030305C026175');

/** A file of `length` value bytes under `tag`, with a recognisable pattern. */
function file(tag: number, length: number): Uint8Array {
  const len = encodeLength(length);
  const out = new Uint8Array(1 + len.length + length);
  out[0] = tag;
  out.set(len, 1);
  for (let i = 0; i < length; i++) out[1 + len.length + i] = (i * 7 + 3) & 0xff;
  return out;
}

const DG2 = file(0x75, 15_000);
const BIG = file(0x6f, 40_000);

function setup(card: Partial<EmrtdCardOptions> = {}, reader: { extendedLength?: boolean } = {}) {
  const chip = new SimulatedEmrtdCard({
    crypto,
    mrzInformation: MRZ,
    files: new Map([
      [0x011e, COM],
      [0x0102, DG2],
      [0x010f, BIG],
    ]),
    ...card,
  });
  const traces: ApduTrace[] = [];
  const channel = { transmit: async (command: Uint8Array) => chip.handle(command) };
  const emrtd = new EmrtdReader(channel, { crypto, ...reader, onApdu: (t) => traces.push(t) });
  return { emrtd, traces };
}

async function failure(promise: Promise<unknown>): Promise<CardError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CardError);
    return error as CardError;
  }
  throw new Error('expected a CardError');
}

describe('reading an eMRTD under BAC', () => {
  it('reads EF.COM and a 15 KB DG2 byte for byte, DG2 in 66 short APDUs (select + 65 reads of 231 bytes)', async () => {
    const { emrtd, traces } = setup();
    await emrtd.selectApplication();
    await emrtd.authenticateBac(MRZ);
    expect(emrtd.secured).toBe(true);
    expect(await emrtd.readFile(0x011e)).toEqual(COM);
    const before = emrtd.apduCount;
    expect(await emrtd.readFile(0x0102)).toEqual(DG2);
    expect(emrtd.apduCount - before).toBe(1 + Math.ceil(DG2.length / 231));
    expect(maxShortChunk(8)).toBe(231);
    expect(maxShortChunk(16)).toBe(223);
    // Every protected exchange fits short APDUs: at most 256 response data bytes.
    for (const t of traces) expect(t.response.length).toBeLessThanOrEqual(258);
  });

  it('reads DG2 in one READ BINARY with extended length', async () => {
    const { emrtd, traces } = setup({}, { extendedLength: true });
    await emrtd.selectApplication();
    await emrtd.authenticateBac(MRZ);
    const before = emrtd.apduCount;
    expect(await emrtd.readFile(0x0102)).toEqual(DG2);
    expect(emrtd.apduCount - before).toBe(2);
    expect(traces.at(-1)?.response.length).toBeGreaterThan(15_000);
  });

  it('reads past offset 32767 with READ BINARY B1 and DO54', async () => {
    const { emrtd, traces } = setup();
    await emrtd.selectApplication();
    await emrtd.authenticateBac(MRZ);
    expect(await emrtd.readFile(0x010f)).toEqual(BIG);
    const b1 = traces.filter((t) => t.plain.ins === 0xb1);
    expect(b1.length).toBeGreaterThan(0);
    expect(traces.filter((t) => t.plain.ins === 0xb0 && (t.plain.p1 << 8) + t.plain.p2 > 0x7fff)).toEqual([]);
  });
});

describe('failures, each as its typed error', () => {
  it('a wrong access key: CARD_ACCESS_DENIED, telling the officer to check the numbers', async () => {
    const { emrtd } = setup();
    await emrtd.selectApplication();
    const error = await failure(emrtd.authenticateBac('L898902C<369080619406244'));
    expect(error.code).toBe('CARD_ACCESS_DENIED');
    expect(error.statusWord).toBe(0x6300);
    expect(error.message).toMatch(/check the document number/);
  });

  it('a response with a bad MAC: CARD_SM_MAC_MISMATCH, then the session is dead', async () => {
    const { emrtd } = setup({ badMacOnResponse: 2 });
    await emrtd.selectApplication();
    await emrtd.authenticateBac(MRZ);
    expect((await failure(emrtd.readFile(0x011e))).code).toBe('CARD_SM_MAC_MISMATCH');
    expect((await failure(emrtd.readFile(0x011e))).code).toBe('CARD_SM_SESSION_DEAD');
    // A new BAC starts a new session.
    await emrtd.authenticateBac(MRZ);
    expect(await emrtd.readFile(0x011e)).toEqual(COM);
  });

  it('a missing file, a card without the application, and reading before BAC', async () => {
    const { emrtd } = setup();
    await emrtd.selectApplication();
    await emrtd.authenticateBac(MRZ);
    const missing = await failure(emrtd.readFile(0x0103));
    expect([missing.code, missing.statusWord, missing.fileId]).toEqual([
      'CARD_FILE_NOT_FOUND',
      0x6a82,
      0x0103,
    ]);

    const other = new SimulatedEmrtdCard({ crypto, mrzInformation: MRZ, files: new Map() });
    const plain = new EmrtdReader({ transmit: async (c) => other.handle(c) }, { crypto });
    await expect(
      plain.send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: fromHex('A0000002471002') }),
    ).resolves.toMatchObject({ sw: 0x6a82 });
    expect((await failure(plain.selectApplication().then(() => plain.readFile(0x011e)))).code).toBe(
      'CARD_ACCESS_CONDITIONS',
    );
  });

  it('a file whose header is garbage: CARD_DATA_DAMAGED', async () => {
    const chip = new SimulatedEmrtdCard({
      crypto,
      mrzInformation: MRZ,
      files: new Map([[0x011e, fromHex('FF0000')]]),
    });
    const emrtd = new EmrtdReader({ transmit: async (c) => chip.handle(c) }, { crypto });
    await emrtd.selectApplication();
    await emrtd.authenticateBac(MRZ);
    expect((await failure(emrtd.readFile(0x011e))).code).toBe('CARD_DATA_DAMAGED');
  });

  it('the chip answers garbage to any command without crashing', () => {
    const chip = new SimulatedEmrtdCard({ crypto, mrzInformation: MRZ, files: new Map() });
    for (const bytes of ['', '00', '0CB0', '0CB0000000', 'FFFFFFFFFFFFFFFF', '0C8200002800']) {
      const response = chip.handle(fromHex(bytes));
      expect(response.length).toBeGreaterThanOrEqual(2);
    }
  });
});
