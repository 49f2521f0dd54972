/**
 * Chip Authentication (ICAO 9303-11 §6.2; protocol/icao9303/chip-auth.ts): choosing the protocol
 * and key from DG14's SecurityInfos, the terminal's commands byte by byte, the shared secret and
 * session keys against Node's own ECDH, both ends of the new secure messaging session, a cloned chip
 * (another private key) caught by the MAC, and the chip's refusals.
 */
import {
  createDiffieHellmanGroup,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto as crypto } from '../../../drivers/crypto/node-crypto.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import {
  ChipAuthenticationChip,
  type ChipAuthenticationChipAnswer,
  type ChipAuthenticationOffer,
  type ChipAuthenticationStart,
  chooseChipAuthentication,
  startChipAuthentication,
} from '../../../protocol/icao9303/chip-auth.ts';
import { curveByName, type EcCurve } from '../../../protocol/icao9303/ec.ts';
import { deriveSessionKeys } from '../../../protocol/icao9303/keys.ts';
import { aesSuite, SmCardSession, SmReaderSession } from '../../../protocol/icao9303/secure-messaging.ts';
import {
  decodeSecurityInfos,
  encodeSecurityInfos,
  type SecurityInfos,
} from '../../../protocol/icao9303/security-infos.ts';
import { encodeDerInteger, encodeOid } from '../../../protocol/icao9303/sod.ts';
import { type CommandApdu, encodeCommand } from '../../../protocol/iso7816/apdu.ts';
import { concatBytes, encodeTlv } from '../../../protocol/iso7816/tlv.ts';

/** id-CA-ECDH-<cipher> (TR-03110-3 §A.1.1.2): 1 3DES, 2 AES-128, 3 AES-192, 4 AES-256. */
const idCaEcdh = (cipher: 1 | 2 | 3 | 4) => `0.4.0.127.0.7.2.2.3.2.${cipher}`;
const ID_CA_DH_AES_128 = '0.4.0.127.0.7.2.2.3.1.2';
const ID_PK_ECDH = '0.4.0.127.0.7.2.2.1.2';
const ID_PK_DH = '0.4.0.127.0.7.2.2.1.1';
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

type NodeCurve = 'prime256v1' | 'brainpoolP256r1';
const CURVE_OIDS: Readonly<Record<NodeCurve, string>> = {
  prime256v1: '1.2.840.10045.3.1.7',
  brainpoolP256r1: '1.3.36.3.3.2.8.1.1.7',
};

/** ChipAuthenticationInfo: SEQUENCE { OID, INTEGER version, [INTEGER keyId] } (9303-11 §9.2.5). */
function caInfo(protocol: string, keyId?: number, version = 1): Uint8Array {
  return encodeTlv(
    0x30,
    encodeOid(protocol),
    encodeDerInteger(version),
    ...(keyId === undefined ? [] : [encodeDerInteger(keyId)]),
  );
}

/** ChipAuthenticationPublicKeyInfo: SEQUENCE { OID, SubjectPublicKeyInfo, [INTEGER keyId] } (§9.2.6). */
function pkInfo(spki: Uint8Array, keyId?: number, protocol = ID_PK_ECDH): Uint8Array {
  return encodeTlv(
    0x30,
    encodeOid(protocol),
    spki,
    ...(keyId === undefined ? [] : [encodeDerInteger(keyId)]),
  );
}

function infosOf(...entries: Uint8Array[]): SecurityInfos {
  const decoded = decodeSecurityInfos(encodeSecurityInfos(entries));
  if (!decoded.ok) throw new Error(decoded.error.detail);
  if (decoded.value.skipped !== 0) throw new Error('a SecurityInfo was skipped');
  return decoded.value;
}

function curve(name: string): EcCurve {
  const found = curveByName(name);
  if (!found) throw new Error(`no curve ${name}`);
  return found;
}

/** A fixed private key in [1, n - 1] from a label (deterministic runs). */
function scalar(label: string, n: bigint): bigint {
  const digest = createHash('sha512').update(label).digest('hex');
  return (BigInt(`0x${digest}`) % (n - 1n)) + 1n;
}

interface ChipKey {
  readonly d: bigint;
  /** 04 || x || y, as OpenSSL computes it. */
  readonly point: Uint8Array;
  /** SubjectPublicKeyInfo with the named curve OID (RFC 5480). */
  readonly spki: Uint8Array;
  readonly ecdh: ReturnType<typeof createECDH>;
}

/** A key pair made by Node from a fixed scalar; the SPKI is checked to be one OpenSSL accepts. */
function chipKey(nodeCurve: NodeCurve, label: string): ChipKey {
  const d = scalar(label, curve(nodeCurve).domain.n);
  const ecdh = createECDH(nodeCurve);
  ecdh.setPrivateKey(Buffer.from(d.toString(16).padStart(64, '0'), 'hex'));
  const point = new Uint8Array(ecdh.getPublicKey());
  const spki = encodeTlv(
    0x30,
    encodeTlv(0x30, encodeOid(ID_EC_PUBLIC_KEY), encodeOid(CURVE_OIDS[nodeCurve])),
    encodeTlv(0x03, Uint8Array.of(0), point),
  );
  const reexported = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
    format: 'der',
    type: 'spki',
  });
  if (toHex(new Uint8Array(reexported)) !== toHex(spki)) throw new Error('OpenSSL rewrote our SPKI');
  return { d, point, spki, ecdh };
}

function offerOf(infos: SecurityInfos): ChipAuthenticationOffer {
  const choice = chooseChipAuthentication(infos);
  if (!choice.ok) throw new Error(choice.detail);
  return choice.offer;
}

function commandHex(command: CommandApdu | undefined): string {
  if (!command) throw new Error('missing command');
  return toHex(encodeCommand(command));
}

function sessions(
  terminal: ChipAuthenticationStart['next'],
  chip: ChipAuthenticationChipAnswer,
): { reader: SmReaderSession; card: SmCardSession } {
  if (!chip.next) throw new Error('the chip did not switch sessions');
  return {
    reader: new SmReaderSession(terminal.suite, terminal.ssc),
    card: new SmCardSession(chip.next.suite, chip.next.ssc),
  };
}

/** One protected exchange (SELECT EF.COM, answered 9000 with two bytes) both ways. */
function exchange(reader: SmReaderSession, card: SmCardSession) {
  const wrapped = reader.wrapCommand({ cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: fromHex('011E') });
  const command = card.unwrapCommand(wrapped);
  if (!command.ok) return { command, response: undefined };
  const response = reader.unwrapResponse(card.wrapResponse(fromHex('6001'), 0x9000));
  return { command, response };
}

describe('chooseChipAuthentication (DG14 SecurityInfos, 9303-11 §6.2.1)', () => {
  const p256 = chipKey('prime256v1', 'chip P-256');
  const brainpool = chipKey('brainpoolP256r1', 'chip brainpoolP256r1');

  it('decodes the key: curve and point as OpenSSL has them', () => {
    const offer = offerOf(infosOf(caInfo(idCaEcdh(2)), pkInfo(p256.spki)));
    expect(offer.cipher).toBe('aes-128');
    expect(offer.info?.protocol).toBe(idCaEcdh(2));
    expect(offer.keyId).toBeUndefined();
    expect(offer.publicKey.curve.name).toBe('secp256r1');
    expect(toHex(offer.publicKey.point.toBytes(false))).toBe(toHex(p256.point));
    expect(toHex(offer.publicKeyInfo.subjectPublicKeyInfo)).toBe(toHex(p256.spki));
  });

  it('prefers AES over 3DES when DG14 offers both', () => {
    // DER sorts id-CA-ECDH-3DES (…3.2.1) before AES-128 (…3.2.2): order alone would pick 3DES.
    const offer = offerOf(infosOf(caInfo(idCaEcdh(1)), caInfo(idCaEcdh(2)), pkInfo(p256.spki)));
    expect(offer.cipher).toBe('aes-128');
    expect(offer.info?.protocol).toBe(idCaEcdh(2));
    const aes256 = offerOf(infosOf(caInfo(idCaEcdh(1)), caInfo(idCaEcdh(4)), pkInfo(p256.spki)));
    expect(aes256.cipher).toBe('aes-256');
  });

  it('takes 3DES, with its info, when that is all DG14 offers', () => {
    const offer = offerOf(infosOf(caInfo(idCaEcdh(1)), pkInfo(p256.spki)));
    expect(offer.cipher).toBe('3des');
    expect(offer.info?.protocol).toBe(idCaEcdh(1));
  });

  it('matches the ChipAuthenticationInfo’s key id to the key with that id', () => {
    const keys = [pkInfo(p256.spki, 1), pkInfo(brainpool.spki, 2)];
    const two = offerOf(infosOf(caInfo(idCaEcdh(2), 2), ...keys));
    expect(two.keyId).toBe(2);
    expect(two.publicKeyInfo.keyId).toBe(2);
    expect(two.publicKey.curve.name).toBe('brainpoolP256r1');
    expect(toHex(two.publicKey.point.toBytes(false))).toBe(toHex(brainpool.point));
    const one = offerOf(infosOf(caInfo(idCaEcdh(2), 1), ...keys));
    expect(one.keyId).toBe(1);
    expect(one.publicKey.curve.name).toBe('secp256r1');
    expect(toHex(one.publicKey.point.toBytes(false))).toBe(toHex(p256.point));
  });

  it('refuses a key id that no key in DG14 carries', () => {
    const choice = chooseChipAuthentication(
      infosOf(caInfo(idCaEcdh(2), 3), pkInfo(p256.spki, 1), pkInfo(brainpool.spki, 2)),
    );
    expect(choice).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('a key without ChipAuthenticationInfo means 3DES, sent with MSE:Set KAT', () => {
    const offer = offerOf(infosOf(pkInfo(p256.spki, 7)));
    expect(offer.info).toBeUndefined();
    expect(offer.cipher).toBe('3des');
    expect(offer.keyId).toBe(7);
    const start = startChipAuthentication(crypto, offer, 5n);
    expect(start.commands).toHaveLength(1);
    // 5·G computed by OpenSSL.
    const terminal = createECDH('prime256v1');
    terminal.setPrivateKey(Buffer.from('05'.padStart(64, '0'), 'hex'));
    expect(commandHex(start.commands[0])).toBe(`002241A6469141${toHex(terminal.getPublicKey())}840107`);
  });

  it('a DH key only: unsupported', () => {
    // PKCS #3 DH key on RFC 2409's 1024-bit MODP group: SEQUENCE { { dhKeyAgreement, { p, g } }, BIT STRING { y } }.
    const dh = createDiffieHellmanGroup('modp2');
    dh.generateKeys();
    const unsigned = (bytes: Buffer) => {
      let start = 0;
      while (start < bytes.length - 1 && bytes[start] === 0) start++;
      const magnitude = bytes.subarray(start);
      return encodeTlv(
        0x02,
        ((magnitude[0] ?? 0) & 0x80) === 0 ? new Uint8Array(0) : Uint8Array.of(0),
        magnitude,
      );
    };
    const dhSpki = encodeTlv(
      0x30,
      encodeTlv(
        0x30,
        encodeOid('1.2.840.113549.1.3.1'),
        encodeTlv(0x30, unsigned(dh.getPrime()), encodeDerInteger(dh.getGenerator().readUInt8())),
      ),
      encodeTlv(0x03, Uint8Array.of(0), unsigned(dh.getPublicKey())),
    );
    // OpenSSL reads it as a DH key.
    expect(createPublicKey({ key: Buffer.from(dhSpki), format: 'der', type: 'spki' }).asymmetricKeyType).toBe(
      'dh',
    );
    const infos = infosOf(caInfo(ID_CA_DH_AES_128), pkInfo(dhSpki, undefined, ID_PK_DH));
    expect(infos.infos.map((i) => i.type)).toEqual(['chip-authentication', 'chip-authentication-public-key']);
    expect(chooseChipAuthentication(infos)).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('an ECDH key with only a DH ChipAuthenticationInfo: unsupported, not 3DES by default', () => {
    const choice = chooseChipAuthentication(infosOf(caInfo(ID_CA_DH_AES_128), pkInfo(p256.spki)));
    expect(choice).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('no key at all: absent', () => {
    expect(chooseChipAuthentication(infosOf())).toMatchObject({ ok: false, reason: 'absent' });
    expect(chooseChipAuthentication(infosOf(caInfo(idCaEcdh(2))))).toMatchObject({
      ok: false,
      reason: 'absent',
    });
  });

  it('a key on a curve this station does not know (secp256k1): unsupported', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    expect(chooseChipAuthentication(infosOf(caInfo(idCaEcdh(2)), pkInfo(spki)))).toMatchObject({
      ok: false,
      reason: 'unsupported',
    });
  });

  it('a key with explicit EC parameters (OpenSSL paramEncoding explicit) is secp256r1', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1', paramEncoding: 'explicit' });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    // Explicit: the parameters are a SEQUENCE (30), not the curve OID (06), after id-ecPublicKey.
    expect(toHex(spki)).toContain(`${toHex(encodeOid(ID_EC_PUBLIC_KEY))}30`);
    const offer = offerOf(infosOf(caInfo(idCaEcdh(2)), pkInfo(spki)));
    expect(offer.publicKey.curve.name).toBe('secp256r1');
    expect(offer.publicKey.curve.oid).toBe('1.2.840.10045.3.1.7');
    const jwk = publicKey.export({ format: 'jwk' });
    const xy = Buffer.concat([Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
    expect(toHex(offer.publicKey.point.toBytes(false))).toBe(`04${toHex(xy)}`);
  });

  it('a brainpoolP256r1 named key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const offer = offerOf(infosOf(caInfo(idCaEcdh(2)), pkInfo(spki)));
    expect(offer.publicKey.curve.name).toBe('brainpoolP256r1');
    expect(toHex(offer.publicKey.point.toBytes(false))).toBe(toHex(spki.subarray(-65)));
  });
});

describe.each<NodeCurve>(['prime256v1', 'brainpoolP256r1'])(
  'Chip Authentication with AES-128 on %s (MSE:Set AT + GENERAL AUTHENTICATE)',
  (nodeCurve) => {
    const chip = chipKey(nodeCurve, `chip ${nodeCurve}`);
    const clone = chipKey(nodeCurve, `clone ${nodeCurve}`);
    const ecCurve = curve(nodeCurve);
    const k = scalar(`terminal ${nodeCurve}`, ecCurve.domain.n);
    const terminal = createECDH(nodeCurve);
    terminal.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
    const offer = offerOf(infosOf(caInfo(idCaEcdh(2), 1), pkInfo(chip.spki, 1)));
    const start = startChipAuthentication(crypto, offer, k);
    const chipOptions = { crypto, curve: ecCurve, protocol: idCaEcdh(2), cipher: 'aes-128' as const };

    it('sends MSE:Set AT {80 OID, 84 key id} then GENERAL AUTHENTICATE {7C{80 PK.PCD}}', () => {
      expect(start.commands).toHaveLength(2);
      // 80 0A: the value of id-CA-ECDH-AES-CBC-CMAC-128 without the 06 header; 84 01 01: key id 1.
      expect(commandHex(start.commands[0])).toBe('002241A40F800A04007F00070202030202840101');
      expect(commandHex(start.commands[1])).toBe(`00860000457C438041${toHex(terminal.getPublicKey())}00`);
    });

    it('derives the session keys from the shared secret OpenSSL computes, with a zero SSC', () => {
      const secret = terminal.computeSecret(Buffer.from(chip.point));
      // The chip's side of OpenSSL's ECDH gives the same secret.
      expect(toHex(chip.ecdh.computeSecret(terminal.getPublicKey()))).toBe(toHex(secret));
      const expected = deriveSessionKeys(crypto, new Uint8Array(secret), 'aes-128');
      expect(toHex(start.next.keys.KSenc)).toBe(toHex(expected.KSenc));
      expect(toHex(start.next.keys.KSmac)).toBe(toHex(expected.KSmac));
      expect(start.next.keys.KSenc).toHaveLength(16);
      expect(toHex(start.next.ssc)).toBe('00'.repeat(16));
      expect(start.next.suite.cipher).toBe('aes');
    });

    it('the chip answers 9000, 7C00 and switches to the same session as the terminal', () => {
      const card = new ChipAuthenticationChip({ ...chipOptions, privateKey: chip.d });
      const [mse, ga] = start.commands;
      if (!mse?.data || !ga?.data) throw new Error('commands without data');
      const mseAnswer = card.manageSecurityEnvironment(mse.p2, mse.data);
      expect(mseAnswer).toEqual({ sw: 0x9000 });
      const gaAnswer = card.generalAuthenticate(ga.data);
      expect(gaAnswer.sw).toBe(0x9000);
      expect(toHex(gaAnswer.data ?? new Uint8Array(1))).toBe('7C00');
      expect(toHex(gaAnswer.next?.ssc ?? new Uint8Array(0))).toBe('00'.repeat(16));

      const { reader, card: cardSession } = sessions(start.next, gaAnswer);
      const { command, response } = exchange(reader, cardSession);
      if (!command.ok) throw new Error(command.error.detail);
      expect(command.value).toMatchObject({ cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c });
      expect(toHex(command.value.data)).toBe('011E');
      if (!response?.ok) throw new Error(`response: ${JSON.stringify(response)}`);
      expect(response.value.sw).toBe(0x9000);
      expect(toHex(response.value.data)).toBe('6001');
      expect(toHex(reader.ssc)).toBe(`${'00'.repeat(15)}02`);
      // The terminal's session really runs on the keys from OpenSSL's secret.
      const secret = new Uint8Array(terminal.computeSecret(Buffer.from(chip.point)));
      const independent = new SmReaderSession(
        aesSuite(crypto, deriveSessionKeys(crypto, secret, 'aes-128')),
        new Uint8Array(16),
      );
      const chipAgain = new ChipAuthenticationChip({ ...chipOptions, privateKey: chip.d });
      chipAgain.manageSecurityEnvironment(mse.p2, mse.data);
      const again = sessions(start.next, chipAgain.generalAuthenticate(ga.data));
      expect(exchange(independent, again.card).response?.ok).toBe(true);
    });

    it('the CA commands and answers travel under the current session; then both switch', () => {
      const old = aesSuite(crypto, { KSenc: fromHex('11'.repeat(16)), KSmac: fromHex('22'.repeat(16)) });
      const oldReader = new SmReaderSession(old, new Uint8Array(16));
      const oldCard = new SmCardSession(old, new Uint8Array(16));
      const card = new ChipAuthenticationChip({ ...chipOptions, privateKey: chip.d });
      let last: ChipAuthenticationChipAnswer | undefined;
      for (const command of start.commands) {
        const plain = oldCard.unwrapCommand(oldReader.wrapCommand(command));
        if (!plain.ok) throw new Error(plain.error.detail);
        last =
          plain.value.ins === 0x22
            ? card.manageSecurityEnvironment(plain.value.p2, plain.value.data)
            : card.generalAuthenticate(plain.value.data);
        const answer = oldReader.unwrapResponse(
          oldCard.wrapResponse(last.data ?? new Uint8Array(0), last.sw),
        );
        expect(answer).toMatchObject({ ok: true, value: { sw: 0x9000 } });
      }
      if (!last) throw new Error('no answer');
      const { reader, card: cardSession } = sessions(start.next, last);
      expect(exchange(reader, cardSession).response?.ok).toBe(true);
    });

    it('a clone (another private key) accepts the commands, but its MAC does not verify', () => {
      const genuine = new ChipAuthenticationChip({ ...chipOptions, privateKey: chip.d });
      const cloned = new ChipAuthenticationChip({ ...chipOptions, privateKey: clone.d });
      const [mse, ga] = start.commands;
      if (!mse?.data || !ga?.data) throw new Error('commands without data');
      const answers = [genuine, cloned].map((c) => {
        expect(c.manageSecurityEnvironment(mse.p2, mse.data ?? new Uint8Array(0)).sw).toBe(0x9000);
        return c.generalAuthenticate(ga.data ?? new Uint8Array(0));
      });
      const [genuineAnswer, cloneAnswer] = answers;
      if (!genuineAnswer || !cloneAnswer) throw new Error('no answers');
      expect(cloneAnswer.sw).toBe(0x9000);
      // The same first answer (a 9000 under the new keys): the genuine chip's verifies, the clone's not.
      for (const [answer, verifies] of [
        [genuineAnswer, true],
        [cloneAnswer, false],
      ] as const) {
        const { reader, card } = sessions(start.next, answer);
        const unwrapped = reader.unwrapResponse(card.wrapResponse(new Uint8Array(0), 0x9000));
        expect(unwrapped.ok).toBe(verifies);
        if (!unwrapped.ok) expect(unwrapped.error.reason).toBe('mac-mismatch');
      }
      // And the clone cannot read the terminal's next command either.
      const { reader, card } = sessions(start.next, cloneAnswer);
      const { command } = exchange(reader, card);
      expect(command).toMatchObject({ ok: false, error: { reason: 'mac-mismatch', statusWord: 0x6988 } });
    });
  },
);

describe('Chip Authentication with 3DES (MSE:Set KAT)', () => {
  const chip = chipKey('prime256v1', 'chip 3DES');
  const clone = chipKey('prime256v1', 'clone 3DES');
  const ecCurve = curve('prime256v1');
  const k = scalar('terminal 3DES', ecCurve.domain.n);
  const terminal = createECDH('prime256v1');
  terminal.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
  const offer = offerOf(infosOf(caInfo(idCaEcdh(1), 0x0102), pkInfo(chip.spki, 0x0102)));
  const start = startChipAuthentication(crypto, offer, k);
  const chipOptions = { crypto, curve: ecCurve, protocol: idCaEcdh(1), cipher: '3des' as const };

  it('sends one MSE:Set KAT {91 PK.PCD, 84 key id} and nothing else', () => {
    expect(start.commands).toHaveLength(1);
    // Lc 47 = 2 + 65 (DO91) + 2 + 2 (DO84 with the two-byte key id 0102).
    expect(commandHex(start.commands[0])).toBe(`002241A6479141${toHex(terminal.getPublicKey())}84020102`);
  });

  it('derives 3DES session keys (parity set) from OpenSSL’s secret, with an 8-byte zero SSC', () => {
    const secret = new Uint8Array(terminal.computeSecret(Buffer.from(chip.point)));
    const expected = deriveSessionKeys(crypto, secret, '3des');
    expect(toHex(start.next.keys.KSenc)).toBe(toHex(expected.KSenc));
    expect(toHex(start.next.keys.KSmac)).toBe(toHex(expected.KSmac));
    expect(toHex(start.next.ssc)).toBe('00'.repeat(8));
    expect(start.next.suite.cipher).toBe('3des');
    expect(start.next.suite.blockSize).toBe(8);
  });

  it('checks OpenSSL’s secret through KeyObjects too (diffieHellman)', () => {
    const chipJwk = {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(chip.point.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(chip.point.subarray(33)).toString('base64url'),
    };
    const terminalPoint = new Uint8Array(terminal.getPublicKey());
    const terminalJwk = {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(terminalPoint.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(terminalPoint.subarray(33)).toString('base64url'),
    };
    const secret = diffieHellman({
      privateKey: createPrivateKey({
        key: { ...terminalJwk, d: Buffer.from(terminal.getPrivateKey()).toString('base64url') },
        format: 'jwk',
      }),
      publicKey: createPublicKey({ key: chipJwk, format: 'jwk' }),
    });
    const expected = deriveSessionKeys(crypto, new Uint8Array(secret), '3des');
    expect(toHex(start.next.keys.KSmac)).toBe(toHex(expected.KSmac));
  });

  it('the chip switches to a 3DES session with a zero SSC that interoperates with the terminal', () => {
    const card = new ChipAuthenticationChip({ ...chipOptions, privateKey: chip.d });
    const mse = start.commands[0];
    if (!mse?.data) throw new Error('no command');
    const answer = card.manageSecurityEnvironment(mse.p2, mse.data);
    expect(answer.sw).toBe(0x9000);
    expect(answer.data).toBeUndefined();
    expect(toHex(answer.next?.ssc ?? new Uint8Array(0))).toBe('00'.repeat(8));
    expect(answer.next?.suite.cipher).toBe('3des');
    const { reader, card: cardSession } = sessions(start.next, answer);
    const { command, response } = exchange(reader, cardSession);
    expect(command.ok).toBe(true);
    expect(response).toMatchObject({ ok: true, value: { sw: 0x9000 } });
    expect(toHex(reader.ssc)).toBe('0000000000000002');
  });

  it('a clone’s 3DES session does not verify on the terminal side', () => {
    const card = new ChipAuthenticationChip({ ...chipOptions, privateKey: clone.d });
    const mse = start.commands[0];
    if (!mse?.data) throw new Error('no command');
    const answer = card.manageSecurityEnvironment(mse.p2, mse.data);
    expect(answer.sw).toBe(0x9000);
    const { reader, card: cardSession } = sessions(start.next, answer);
    const unwrapped = reader.unwrapResponse(cardSession.wrapResponse(new Uint8Array(0), 0x9000));
    expect(unwrapped).toMatchObject({ ok: false, error: { reason: 'mac-mismatch' } });
  });
});

describe('startChipAuthentication without a fixed key', () => {
  it('draws a fresh ephemeral key each time (different PK.PCD, different session keys)', () => {
    const chip = chipKey('prime256v1', 'fresh');
    const offer = offerOf(infosOf(caInfo(idCaEcdh(2)), pkInfo(chip.spki)));
    const a = startChipAuthentication(crypto, offer);
    const b = startChipAuthentication(crypto, offer);
    expect(commandHex(a.commands[1])).not.toBe(commandHex(b.commands[1]));
    expect(toHex(a.next.keys.KSenc)).not.toBe(toHex(b.next.keys.KSenc));
    // No key id in DG14: no DO84.
    expect(commandHex(a.commands[0])).toBe('002241A40C800A04007F00070202030202');
  });
});

describe('the chip refuses', () => {
  const chip = chipKey('prime256v1', 'refusing chip');
  const ecCurve = curve('prime256v1');
  const options = {
    crypto,
    curve: ecCurve,
    privateKey: chip.d,
    protocol: idCaEcdh(2),
    cipher: 'aes-128' as const,
  };
  const oidObject = (oid: string) => encodeTlv(0x80, encodeOid(oid).subarray(2));
  const goodPoint = chipKey('prime256v1', 'terminal point').point;
  const offCurve = Uint8Array.from(goodPoint);
  offCurve[64] = ((offCurve[64] ?? 0) + 1) & 0xff;
  const ga = (point: Uint8Array) => encodeTlv(0x7c, encodeTlv(0x80, point));

  it.each([
    ['a protocol it does not offer (3DES)', oidObject(idCaEcdh(1))],
    ['a PACE OID', oidObject('0.4.0.127.0.7.2.2.4.2.2')],
    ['no OID (DO80 missing)', encodeTlv(0x84, Uint8Array.of(1))],
    ['a malformed DO', fromHex('8005AABB')],
  ])('MSE:Set AT with %s: 6A80', (_label, data) => {
    const card = new ChipAuthenticationChip(options);
    expect(card.manageSecurityEnvironment(0xa4, data).sw).toBe(0x6a80);
    // …and GENERAL AUTHENTICATE that follows is out of sequence.
    expect(card.generalAuthenticate(ga(goodPoint)).sw).toBe(0x6985);
  });

  it('GENERAL AUTHENTICATE before MSE:Set AT: 6985', () => {
    const card = new ChipAuthenticationChip(options);
    const answer = card.generalAuthenticate(ga(goodPoint));
    expect(answer).toEqual({ sw: 0x6985 });
  });

  it('a second GENERAL AUTHENTICATE after one MSE: 6985', () => {
    const card = new ChipAuthenticationChip(options);
    expect(card.manageSecurityEnvironment(0xa4, oidObject(idCaEcdh(2))).sw).toBe(0x9000);
    expect(card.generalAuthenticate(ga(goodPoint)).sw).toBe(0x9000);
    expect(card.generalAuthenticate(ga(goodPoint)).sw).toBe(0x6985);
  });

  it.each([
    ['off the curve', ga(offCurve)],
    ['truncated', ga(goodPoint.subarray(0, 40))],
    ['the point at infinity', ga(Uint8Array.of(0))],
    ['missing (7C without 80)', encodeTlv(0x7c, encodeTlv(0x81, goodPoint))],
    ['not in a 7C template', encodeTlv(0x80, goodPoint)],
    ['a brainpoolP256r1 point', ga(chipKey('brainpoolP256r1', 'wrong curve').point)],
  ])('GENERAL AUTHENTICATE with a terminal key %s: 6A80, no new session', (_label, data) => {
    const card = new ChipAuthenticationChip(options);
    expect(card.manageSecurityEnvironment(0xa4, oidObject(idCaEcdh(2))).sw).toBe(0x9000);
    expect(card.generalAuthenticate(data)).toEqual({ sw: 0x6a80 });
  });

  it.each([
    ['off the curve', concatBytes(encodeTlv(0x91, offCurve))],
    ['missing', encodeTlv(0x84, Uint8Array.of(1))],
    ['the point at infinity', encodeTlv(0x91, Uint8Array.of(0))],
  ])('MSE:Set KAT with a terminal key %s: 6A80, no new session', (_label, data) => {
    const card = new ChipAuthenticationChip({ ...options, protocol: idCaEcdh(1), cipher: '3des' });
    expect(card.manageSecurityEnvironment(0xa6, data)).toEqual({ sw: 0x6a80 });
  });

  it('MSE with another P2 (Set DST, B6): 6A86', () => {
    const card = new ChipAuthenticationChip(options);
    expect(card.manageSecurityEnvironment(0xb6, oidObject(idCaEcdh(2))).sw).toBe(0x6a86);
  });
});
