/**
 * Terminal Authentication v1 (protocol/icao9303/terminal-auth.ts) against the simulated chip
 * (simulators/card/emrtd-card.ts) through the reader (reader.ts), in process: after PACE and after
 * BAC, extended and chained short APDUs, link certificates, the AND of the rights, DG3 refused
 * until TA; the chip's refusals; ID_PICC after PACE (the pitfall) checked against the message the
 * signer was given; the station's planning from EF.CVCA; EF.CVCA's codec.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto as crypto } from '../../../drivers/crypto/node-crypto.ts';
import { chooseChipAuthentication } from '../../../protocol/icao9303/chip-auth.ts';
import { type CvCertificate, IS_RIGHT } from '../../../protocol/icao9303/cvc.ts';
import { bytesToBigInt, curveByName } from '../../../protocol/icao9303/ec.ts';
import { CardError } from '../../../protocol/icao9303/errors.ts';
import { cccdMrzInformation } from '../../../protocol/icao9303/mrz-info.ts';
import { type ApduTrace, EmrtdReader } from '../../../protocol/icao9303/reader.ts';
import { chipAuthenticationOid, decodeSecurityInfos } from '../../../protocol/icao9303/security-infos.ts';
import {
  decodeEfCvca,
  EF_CVCA,
  encodeEfCvca,
  idPiccAfterBac,
  maxShortCommandData,
  planTerminalAuthentication,
  type TaPlan,
  TerminalAuthenticationChip,
  type TerminalSigner,
} from '../../../protocol/icao9303/terminal-auth.ts';
import { simulatedCardAccess } from '../../../simulators/card/cccd-card-sim.ts';
import { SimulatedEmrtdCard } from '../../../simulators/card/emrtd-card.ts';
import { type BuiltLds, buildScenarioLds, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { createTestPki } from '../../../simulators/pki/csca.ts';
import {
  addDays,
  createTestEacPki,
  type IssuedCvc,
  issueCvc,
  signPlain,
  type TestEacPki,
} from '../../../simulators/pki/cvca.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const TODAY = '2026-11-22';
const DG3 = Uint8Array.of(0x63, 0x04, 0x7f, 0x61, 0x01, 0x00);
const MRZ = (() => {
  const info = cccdMrzInformation('001099012345', '990101', '390101');
  if (!info.ok) throw new Error(info.error.detail);
  return info.value;
})();

let eac: TestEacPki;
let lds: BuiltLds;
beforeAll(async () => {
  eac = createTestEacPki(TODAY);
  lds = buildScenarioLds(SAMPLE_PERSON, await createTestPki('ecdsa-p256'), 'valid');
});

function scalar(key: import('node:crypto').KeyObject): bigint {
  return bytesToBigInt(Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url'));
}

interface ChipSetup {
  readonly trustPoints?: readonly CvCertificate[];
  readonly currentDate?: string;
  readonly extendedLength?: boolean;
}

/** The simulated CCCD with PACE, CA and TA, and DG3 behind EAC; a reader on it that records APDUs. */
function setup(options: ChipSetup = {}) {
  const curve = curveByName('prime256v1');
  if (!curve) throw new Error('P-256');
  const cardAccess = simulatedCardAccess();
  const files = new Map(lds.files).set(0x0103, DG3);
  const chip = new SimulatedEmrtdCard({
    crypto,
    mrzInformation: MRZ,
    files,
    cardAccess: cardAccess.bytes,
    pace: { info: cardAccess.info, can: '012345' },
    chipAuthentication: {
      crypto,
      curve,
      privateKey: scalar(lds.chipAuthenticationKey),
      protocol: chipAuthenticationOid('aes-128'),
      cipher: 'aes-128',
    },
    terminalAuthentication: {
      crypto,
      trustPoints: options.trustPoints ?? [eac.cvca.certificate],
      currentDate: options.currentDate ?? addDays(TODAY, -60),
    },
  });
  const traces: ApduTrace[] = [];
  const reader = new EmrtdReader(
    { transmit: async (command) => chip.handle(command) },
    { crypto, extendedLength: options.extendedLength ?? true, onApdu: (t) => traces.push(t) },
  );
  return { chip, reader, traces, cardAccess };
}

async function openWithPaceAndCa(s: ReturnType<typeof setup>) {
  expect(await s.reader.authenticatePace(s.cardAccess.info, { kind: 'can', can: '012345' })).toBeUndefined();
  await s.reader.selectApplication();
  await openCa(s);
}

async function openCa(s: ReturnType<typeof setup>) {
  const infos = decodeSecurityInfos(lds.dg14, { dg14: true });
  if (!infos.ok) throw new Error(infos.error.detail);
  const choice = chooseChipAuthentication(infos.value);
  if (!choice.ok) throw new Error(choice.detail);
  expect(await s.reader.chipAuthenticate(choice.offer)).toEqual({ kind: 'passed' });
}

/** A signer with the terminal's key that remembers what it was asked to sign. */
function signerOf(issued: IssuedCvc) {
  const messages: Uint8Array[] = [];
  const signer: TerminalSigner = {
    sign: async (message) => {
      messages.push(message);
      return signPlain(issued.key, message);
    },
  };
  return { signer, messages };
}

function plan(chain: readonly IssuedCvc[], trustPoint: IssuedCvc = eac.cvca): TaPlan {
  const terminal = chain[chain.length - 1] as IssuedCvc;
  return {
    trustPoint: trustPoint.certificate,
    chain: chain.map((c) => c.certificate),
    terminal: terminal.certificate,
    rights: IS_RIGHT.readDg3 | IS_RIGHT.readDg4,
  };
}

describe('TA after PACE and Chip Authentication (the CCCD path)', () => {
  it('passes with extended APDUs; DG3 is refused before and read after', async () => {
    const s = setup();
    await openWithPaceAndCa(s);
    await expect(s.reader.readFile(0x0103)).rejects.toMatchObject({
      code: 'CARD_ACCESS_CONDITIONS',
      statusWord: 0x6982,
    });
    const cvca = await s.reader.readCvca();
    expect(cvca && decodeEfCvca(cvca)).toEqual({ ok: true, value: ['VNCVCA00001'] });
    const { signer } = signerOf(eac.terminal);
    const before = s.traces.length;
    const result = await s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), signer);
    expect(result).toEqual({
      ok: true,
      value: { rights: 3, terminal: 'VNNOTARY00001', trustPoint: 'VNCVCA00001', apdus: 7 },
    });
    // The plain commands, in the order TR-03110-3 B.11 gives.
    expect(
      s.traces
        .slice(before)
        .map(({ plain: c }) => [c.ins, c.p1, c.p2].map((b) => b.toString(16).padStart(2, '0')).join('')),
    ).toEqual(['2281b6', '2a00be', '2281b6', '2a00be', '2281a4', '840000', '820000']);
    expect(await s.reader.readFile(0x0103)).toEqual(DG3);
  });

  it('signs ID_PICC = x(PK_PICC of PACE) ‖ r_PICC ‖ x(PK_PCD of CA), as the exchanged bytes show', async () => {
    const s = setup();
    // PACE's third GENERAL AUTHENTICATE answers 7C{84 PK_PICC}; CA's GA sends 7C{80 PK_PCD}.
    await openWithPaceAndCa(s);
    const paceChipKey = s.traces
      .map((t) => t.response)
      .map((r) => (r.length > 70 && r[0] === 0x7c && r[2] === 0x84 ? r.subarray(4, 4 + r[3]!) : undefined))
      .find((k) => k !== undefined);
    const caGa = s.traces.find(
      (t) => t.plain.ins === 0x86 && t.plain.data?.[0] === 0x7c && t.plain.data[2] === 0x80,
    );
    const { signer, messages } = signerOf(eac.terminal);
    const before = s.traces.length;
    expect((await s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), signer)).ok).toBe(true);
    const getChallenge = s.traces.slice(before).find((t) => t.plain.ins === 0x84);
    expect(paceChipKey?.length).toBe(65);
    expect(caGa).toBeDefined();
    const caKey = caGa?.plain.data?.subarray(4) ?? new Uint8Array(0);
    expect(caKey.length).toBe(65);
    // GET CHALLENGE's plain answer (r_PICC) is inside the protected trace; the chip checking the
    // signature vouches for those 8 bytes, the rest is compared with the exchange here.
    const message = messages[0] ?? new Uint8Array(0);
    expect(getChallenge).toBeDefined();
    expect(message.length).toBe(32 + 8 + 32);
    expect(message.subarray(0, 32)).toEqual(paceChipKey?.subarray(1, 33));
    expect(message.subarray(40)).toEqual(caKey.subarray(1, 33));
  });

  it('the pitfall: the document number as ID_PICC after PACE is refused (6300)', async () => {
    const s = setup();
    await openWithPaceAndCa(s);
    const { signer } = signerOf(eac.terminal);
    // A signer that swaps in the BAC-style ID_PICC, as a reader that ignores how the chip was opened.
    const wrong: TerminalSigner = {
      sign: (message) => signer.sign(Uint8Array.from([...idPiccAfterBac(MRZ), ...message.subarray(32)])),
    };
    const result = await s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), wrong);
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'authentication-refused', step: 'external-authenticate', statusWord: 0x6300 },
    });
    await expect(s.reader.readFile(0x0103)).rejects.toMatchObject({ code: 'CARD_ACCESS_CONDITIONS' });
  });

  it('with short APDUs the certificates go in chained commands, and a link certificate updates the trust points', async () => {
    const s = setup({ extendedLength: false });
    await openWithPaceAndCa(s);
    const dv2 = issueCvc(eac.nextCvca.key, {
      car: 'VNCVCA00002',
      chr: 'VNDVCCCD00002',
      role: 'dv-domestic',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 60),
    });
    const terminal2 = issueCvc(dv2.key, {
      car: 'VNDVCCCD00002',
      chr: 'VNNOTARY00002',
      role: 'terminal',
      rights: 1,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 20),
    });
    const before = s.traces.length;
    const result = await s.reader.terminalAuthenticate(
      plan([eac.link, dv2, terminal2]),
      signerOf(terminal2).signer,
    );
    expect(result.ok).toBe(true);
    const pso = s.traces.slice(before).filter((t) => t.plain.ins === 0x2a);
    // The link certificate (with its domain parameters) does not fit one short APDU.
    expect(eac.link.certificate.encoded.length).toBeGreaterThan(maxShortCommandData(16));
    expect(pso.some((t) => (t.plain.cla & 0x10) !== 0)).toBe(true);
    expect(s.traces.slice(before).every((t) => t.command.length <= 5 + 255 + 1)).toBe(true);
    expect(s.chip.terminalAuthentication?.trustPointReferences).toEqual(['VNCVCA00002', 'VNCVCA00001']);
    expect(s.chip.terminalAuthentication?.currentDate).toBe(TODAY);
    expect(await s.reader.readFile(0x0103)).toEqual(DG3);
  });

  it('a terminal without the DG3 right authenticates, and DG3 is still refused', async () => {
    const s = setup();
    await openWithPaceAndCa(s);
    const result = await s.reader.terminalAuthenticate(
      plan([eac.dv, eac.noDg3Terminal]),
      signerOf(eac.noDg3Terminal).signer,
    );
    expect(result.ok).toBe(true);
    expect(s.chip.terminalAuthentication?.authenticatedRights).toBe(IS_RIGHT.readDg4);
    await expect(s.reader.readFile(0x0103)).rejects.toMatchObject({ code: 'CARD_ACCESS_CONDITIONS' });
  });
});

describe('TA after BAC', () => {
  it('ID_PICC is the document number with its check digit', async () => {
    const s = setup();
    await s.reader.selectApplication();
    await s.reader.authenticateBac(MRZ);
    await openCa(s);
    const { signer, messages } = signerOf(eac.terminal);
    expect((await s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), signer)).ok).toBe(true);
    expect(new TextDecoder().decode(messages[0]?.subarray(0, 10))).toBe(MRZ.slice(0, 10));
    expect(await s.reader.readFile(0x0103)).toEqual(DG3);
  });
});

describe("the chip's refusals", () => {
  it("a certificate that expired before the chip's date: 6984 at PSO:Verify Certificate", async () => {
    const s = setup({ currentDate: TODAY });
    await openWithPaceAndCa(s);
    const result = await s.reader.terminalAuthenticate(
      plan([eac.dv, eac.expiredTerminal]),
      signerOf(eac.expiredTerminal).signer,
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        reason: 'certificate-refused',
        step: 'verify-certificate',
        statusWord: 0x6984,
        certificate: 'VNNOTARY00000',
      },
    });
  });

  it('the same expired certificate on a chip whose date lags is taken: why the station checks its own dates', async () => {
    const s = setup({ currentDate: addDays(TODAY, -90) });
    await openWithPaceAndCa(s);
    const result = await s.reader.terminalAuthenticate(
      plan([eac.dv, eac.expiredTerminal]),
      signerOf(eac.expiredTerminal).signer,
    );
    expect(result.ok).toBe(true);
    // The domestic DV moved the chip's date to its effective date, not to today.
    expect(s.chip.terminalAuthentication?.currentDate).toBe(addDays(TODAY, -30));
  });

  it('a chip that trusts another CVCA: 6A88 at MSE:Set DST', async () => {
    const s = setup({ trustPoints: [eac.otherCvca.certificate] });
    await openWithPaceAndCa(s);
    const result = await s.reader.terminalAuthenticate(
      plan([eac.dv, eac.terminal]),
      signerOf(eac.terminal).signer,
    );
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'certificate-refused', step: 'mse-set-dst', statusWord: 0x6a88 },
    });
  });

  it('a DV certificate forged under our CVCA name: 6984', async () => {
    const s = setup();
    await openWithPaceAndCa(s);
    const forged = issueCvc(eac.otherCvca.key, {
      car: 'VNCVCA00001',
      chr: 'VNDVCCCD00001',
      role: 'dv-domestic',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 30),
    });
    const result = await s.reader.terminalAuthenticate(
      plan([forged, eac.terminal]),
      signerOf(eac.terminal).signer,
    );
    expect(result).toMatchObject({
      ok: false,
      error: { step: 'verify-certificate', statusWord: 0x6984, certificate: 'VNDVCCCD00001' },
    });
  });

  it('a signature by another key than the certificate: 6300; a signer that fails: signer-failed', async () => {
    const s = setup();
    await openWithPaceAndCa(s);
    const impostor = await s.reader.terminalAuthenticate(
      plan([eac.dv, eac.terminal]),
      signerOf(eac.noDg3Terminal).signer,
    );
    expect(impostor).toMatchObject({
      ok: false,
      error: { step: 'external-authenticate', statusWord: 0x6300 },
    });
    const broken = await s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), {
      sign: () => Promise.reject(new Error('token removed')),
    });
    expect(broken).toMatchObject({
      ok: false,
      error: { reason: 'signer-failed', step: 'sign', detail: expect.stringMatching(/token removed/) },
    });
  });

  it('TA v1 without Chip Authentication: the reader refuses to start', async () => {
    const s = setup();
    expect(
      await s.reader.authenticatePace(s.cardAccess.info, { kind: 'can', can: '012345' }),
    ).toBeUndefined();
    await s.reader.selectApplication();
    expect(s.reader.terminalAuthenticationReady).toBe(false);
    await expect(
      s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), signerOf(eac.terminal).signer),
    ).rejects.toBeInstanceOf(CardError);
  });

  it('TA rights end with the session: a new PACE needs TA again', async () => {
    const s = setup();
    await openWithPaceAndCa(s);
    expect(
      (await s.reader.terminalAuthenticate(plan([eac.dv, eac.terminal]), signerOf(eac.terminal).signer)).ok,
    ).toBe(true);
    await openWithPaceAndCa(s);
    await expect(s.reader.readFile(0x0103)).rejects.toMatchObject({ code: 'CARD_ACCESS_CONDITIONS' });
  });
});

describe('planning from EF.CVCA (the station side)', () => {
  const all = () => [eac.cvca, eac.link, eac.dv, eac.terminal].map((c) => c.certificate);

  it('finds the chain from the CVCA the chip names', () => {
    const result = planTerminalAuthentication({
      certificates: all(),
      chipCars: ['VNCVCA00001'],
      today: TODAY,
      crypto,
    });
    expect(result.ok && result.value.chain.map((c) => c.chr)).toEqual(['VNDVCCCD00001', 'VNNOTARY00001']);
    expect(result.ok && result.value.rights).toBe(3);
  });

  it('goes through the link certificate when the DV is of the next generation', () => {
    const dv2 = issueCvc(eac.nextCvca.key, {
      car: 'VNCVCA00002',
      chr: 'VNDVCCCD00002',
      role: 'dv-domestic',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 60),
    });
    const terminal2 = issueCvc(dv2.key, {
      car: 'VNDVCCCD00002',
      chr: 'VNNOTARY00002',
      role: 'terminal',
      rights: 3,
      effectiveDate: TODAY,
      expirationDate: addDays(TODAY, 20),
    });
    const certificates = [eac.cvca, eac.link, dv2, terminal2].map((c) => c.certificate);
    const result = planTerminalAuthentication({
      certificates,
      chipCars: ['VNCVCA00001'],
      today: TODAY,
      crypto,
    });
    expect(result.ok && result.value.chain.map((c) => c.chr)).toEqual([
      'VNCVCA00002',
      'VNDVCCCD00002',
      'VNNOTARY00002',
    ]);
    // A chip already on the next generation needs no link.
    const next = planTerminalAuthentication({
      certificates: [...certificates, eac.nextCvca.certificate],
      chipCars: ['VNCVCA00002', 'VNCVCA00001'],
      today: TODAY,
      crypto,
    });
    expect(next.ok && next.value.chain.map((c) => c.chr)).toEqual(['VNDVCCCD00002', 'VNNOTARY00002']);
  });

  it.each([
    ['a chip of another CVCA', ['VNCVCA00009'], () => all(), TODAY, 'no-trust-point'],
    [
      'our terminal certificate expired by our clock',
      ['VNCVCA00001'],
      () => [eac.cvca, eac.dv, eac.expiredTerminal].map((c) => c.certificate),
      TODAY,
      'credentials-expired',
    ],
    [
      'the whole chain checked after the DV expired',
      ['VNCVCA00001'],
      () => all(),
      addDays(TODAY, 61),
      'credentials-expired',
    ],
    [
      'no terminal certificate',
      ['VNCVCA00001'],
      () => [eac.cvca, eac.dv].map((c) => c.certificate),
      TODAY,
      'no-terminal-certificate',
    ],
    [
      'no DV for the terminal',
      ['VNCVCA00001'],
      () => [eac.cvca, eac.terminal].map((c) => c.certificate),
      TODAY,
      'credentials-invalid',
    ],
  ] as const)('%s', (_, chipCars, certificates, today, reason) => {
    const result = planTerminalAuthentication({ certificates: certificates(), chipCars, today, crypto });
    expect(result).toMatchObject({ ok: false, error: { reason } });
  });

  it('prefers the terminal certificate valid today over an expired one in the same folder', () => {
    const certificates = [eac.cvca, eac.dv, eac.expiredTerminal, eac.terminal].map((c) => c.certificate);
    const result = planTerminalAuthentication({
      certificates,
      chipCars: ['VNCVCA00001'],
      today: TODAY,
      crypto,
    });
    expect(result.ok && result.value.terminal.chr).toBe('VNNOTARY00001');
  });
});

describe('EF.CVCA', () => {
  it('is one or two 42 objects padded with zeros to 36 bytes', () => {
    const bytes = encodeEfCvca(['VNCVCA00002', 'VNCVCA00001']);
    expect(bytes.length).toBe(EF_CVCA.length);
    expect(decodeEfCvca(bytes)).toEqual({ ok: true, value: ['VNCVCA00002', 'VNCVCA00001'] });
    expect(decodeEfCvca(bytes.subarray(0, 13))).toEqual({ ok: true, value: ['VNCVCA00002'] });
  });

  it.each([
    ['no CAR', new Uint8Array(36), 'invalid-value'],
    [
      'padding with a stray byte',
      Uint8Array.from([...encodeEfCvca(['AB']).subarray(0, 35), 1]),
      'invalid-value',
    ],
    ['another tag', Uint8Array.of(0x43, 0x02, 0x41, 0x42), 'invalid-value'],
    ['a CAR cut short', Uint8Array.of(0x42, 0x05, 0x41), 'truncated'],
    ['three CARs', Uint8Array.of(0x42, 1, 0x41, 0x42, 1, 0x42, 0x42, 1, 0x43), 'too-large'],
    [
      'a CAR of 17 characters',
      Uint8Array.from([0x42, 17, ...new Uint8Array(17).fill(0x41)]),
      'invalid-value',
    ],
  ] as const)('%s', (_, bytes, reason) => {
    expect(decodeEfCvca(bytes)).toMatchObject({ ok: false, error: { reason } });
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(typeof decodeEfCvca(bytes).ok).toBe('boolean');
      }),
      { seed, numRuns: 300 },
    );
  });
});

describe("the chip's side takes any bytes (fast-check)", () => {
  it('every TA command with random data answers a status word, never throws', () => {
    const chip = new TerminalAuthenticationChip({
      crypto,
      trustPoints: [eac.cvca.certificate],
      currentDate: TODAY,
      random: (n) => new Uint8Array(n),
    });
    const valid = eac.dv.certificate.encoded.subarray(4);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (random, edits) => {
          const mutated = valid.slice();
          for (const [at, value] of edits) mutated[at] = value;
          for (const answer of [
            chip.setDst(random),
            chip.setDst(Uint8Array.from([0x83, 11, ...new TextEncoder().encode('VNCVCA00001')])),
            chip.verifyCertificate(random),
            chip.verifyCertificate(mutated),
            chip.setAt(random),
            chip.getChallenge(8),
            chip.externalAuthenticate(random, { idPicc: random, caTerminalPublicKey: random }),
          ])
            expect(answer.sw).toBeGreaterThanOrEqual(0x6000);
          expect(chip.authenticatedRights).toBeUndefined();
        },
      ),
      { seed, numRuns: 150 },
    );
  });
});
