import { describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto as crypto } from '../../../drivers/crypto/node-crypto.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { curveByName, decodePoint, encodePoint, multiply } from '../../../protocol/icao9303/ec.ts';
import {
  PaceChip,
  type PaceChipAnswer,
  type PacePassword,
  pacePasswordKey,
  paceToken,
  performPace,
} from '../../../protocol/icao9303/pace.ts';
import { SmCardSession, SmReaderSession } from '../../../protocol/icao9303/secure-messaging.ts';
import {
  decodeSecurityInfos,
  encodePaceInfo,
  encodeSecurityInfos,
  type PaceInfo,
  paceProtocolOid,
  type SecureMessagingCipher,
} from '../../../protocol/icao9303/security-infos.ts';
import { type CommandApdu, encodeCommand, type ResponseApdu } from '../../../protocol/iso7816/apdu.ts';
import { readReferenceJson } from '../../support/fixtures.ts';

interface PaceVectors {
  readonly pace_worked_example_ecdh_gm: Readonly<Record<string, string>> & {
    readonly EF_CardAccess: { readonly hex: string };
    readonly mrz: { readonly MRZ_information: string };
  };
}

const vectors = (readReferenceJson('icao9303-vectors.json') as PaceVectors).pace_worked_example_ecdh_gm;
const v = (key: string): string => {
  const value = vectors[key];
  if (typeof value !== 'string') throw new Error(`no vector ${key}`);
  return value;
};

function response(hex: string): ResponseApdu {
  const bytes = fromHex(hex);
  return { data: bytes.subarray(0, -2), sw: ((bytes.at(-2) ?? 0) << 8) | (bytes.at(-1) ?? 0) };
}

function paceInfoOf(hex: string): PaceInfo {
  const decoded = decodeSecurityInfos(fromHex(hex));
  if (!decoded.ok) throw new Error(decoded.error.detail);
  const info = decoded.value.infos[0];
  if (info?.type !== 'pace') throw new Error('no PACEInfo');
  return info;
}

describe('PACE worked example (ICAO 9303-11 App. G.1, ECDH-GM, brainpoolP256r1, AES-128)', () => {
  const info = paceInfoOf(vectors.EF_CardAccess.hex);
  const password: PacePassword = { kind: 'mrz', mrzInformation: vectors.mrz.MRZ_information };

  it('parses EF.CardAccess into its PACEInfo', () => {
    expect(info).toEqual({
      type: 'pace',
      protocol: '0.4.0.127.0.7.2.2.4.2.2',
      mapping: 'ECDH-GM',
      cipher: 'aes-128',
      version: 2,
      parameterId: 13,
    });
  });

  it('derives Kπ from the MRZ information', () => {
    expect(toHex(crypto.sha1(new TextEncoder().encode(vectors.mrz.MRZ_information)))).toBe(
      v('pi_SHA1_MRZ_information'),
    );
    expect(toHex(pacePasswordKey(crypto, password, 'aes-128'))).toBe(v('K_pi'));
  });

  it('maps the generator, agrees keys and computes both tokens as the example does', () => {
    const curve = curveByName('brainpoolP256r1');
    if (!curve) throw new Error('no curve');
    const s = BigInt(`0x${v('decrypted_nonce_s')}`);
    const chipMap = decodePoint(curve, fromHex(v('chip_map_public_key')));
    if (!chipMap.ok) throw new Error(chipMap.error.detail);
    const h = multiply(curve, chipMap.value, BigInt(`0x${v('terminal_map_private_key')}`));
    expect(toHex(encodePoint(h))).toBe(v('shared_point_H'));
    const mapped = multiply(curve, curve.generator, s).add(h);
    expect(toHex(encodePoint(mapped))).toBe(v('mapped_generator_G_prime'));
    const ksmac = fromHex(v('KSmac'));
    expect(
      toHex(paceToken(crypto, 'aes-128', ksmac, info.protocol, fromHex(v('chip_ephemeral_public_key')))),
    ).toBe(v('T_PCD'));
    expect(
      toHex(paceToken(crypto, 'aes-128', ksmac, info.protocol, fromHex(v('terminal_ephemeral_public_key')))),
    ).toBe(v('T_IC'));
  });

  it('runs end to end: every command byte for byte, the chip’s answers accepted, the session keys', async () => {
    const script: [string, string][] = [
      [v('MSE_SET_AT'), '9000'],
      [v('GA1_command'), v('GA1_response')],
      [v('GA2_command'), v('GA2_response')],
      [v('GA3_command'), v('GA3_response')],
      [v('GA4_command'), v('GA4_response')],
    ];
    const sent: string[] = [];
    const result = await performPace(
      async (command: CommandApdu) => {
        sent.push(toHex(encodeCommand(command)));
        return response(script[sent.length - 1]?.[1] ?? '6F00');
      },
      {
        crypto,
        info,
        password,
        privateKeys: {
          mapping: BigInt(`0x${v('terminal_map_private_key')}`),
          ephemeral: BigInt(`0x${v('terminal_ephemeral_private_key')}`),
        },
      },
    );
    expect(sent).toEqual(script.map(([command]) => command));
    if (!result.ok) throw new Error(result.error.detail);
    expect(toHex(result.value.keys.KSenc)).toBe(v('KSenc'));
    expect(toHex(result.value.keys.KSmac)).toBe(v('KSmac'));
    expect(toHex(result.value.ssc)).toBe(v('SSC_after_PACE'));
  });

  it('refuses a chip token that does not verify', async () => {
    const script = [
      '9000',
      v('GA1_response'),
      v('GA2_response'),
      v('GA3_response'),
      v('GA4_response').replace('3ABB', '3ABC'),
    ];
    let i = 0;
    const result = await performPace(async () => response(script[i++] ?? '6F00'), {
      crypto,
      info,
      password,
      privateKeys: {
        mapping: BigInt(`0x${v('terminal_map_private_key')}`),
        ephemeral: BigInt(`0x${v('terminal_ephemeral_private_key')}`),
      },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toMatchObject({ reason: 'authentication-failed', step: 'mutual-authentication' });
  });

  it('refuses a mapping key that is not on the curve', async () => {
    const bad = v('GA2_response').replace('04824FBA', '04824FBB');
    const script = ['9000', v('GA1_response'), bad];
    let i = 0;
    const result = await performPace(async () => response(script[i++] ?? '6F00'), { crypto, info, password });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason: 'authentication-failed', step: 'map' });
  });
});

/** A terminal talking to the simulated chip directly (no transport). */
function link(chip: PaceChip): {
  send: (command: CommandApdu) => Promise<ResponseApdu>;
  session: () => PaceChipAnswer['session'];
} {
  let session: PaceChipAnswer['session'];
  return {
    send: async (command) => {
      const data = command.data ?? new Uint8Array(0);
      const answer =
        command.ins === 0x22
          ? chip.setAuthenticationTemplate(data)
          : chip.generalAuthenticate(data, (command.cla & 0x10) !== 0);
      if (answer.session) session = answer.session;
      return { data: answer.data ?? new Uint8Array(0), sw: answer.sw };
    },
    session: () => session,
  };
}

/** A PACEInfo as a chip's EF.CardAccess would carry it, decoded. */
function offered(
  mapping: 'ECDH-GM' | 'ECDH-IM',
  cipher: SecureMessagingCipher,
  parameterId: number,
): PaceInfo {
  return paceInfoOf(
    toHex(encodeSecurityInfos([encodePaceInfo({ protocol: paceProtocolOid(mapping, cipher), parameterId })])),
  );
}

const MRZ_INFO = '00109901220010110390101'.padEnd(24, '0');

describe('PACE between our terminal and our simulated chip', () => {
  const cases: [string, number, SecureMessagingCipher][] = [
    ['brainpoolP256r1', 13, 'aes-128'],
    ['secp256r1', 12, 'aes-128'],
    ['brainpoolP256r1', 13, '3des'],
    ['secp384r1', 15, 'aes-256'],
    ['brainpoolP384r1', 16, 'aes-192'],
  ];
  for (const [curveName, parameterId, cipher] of cases)
    for (const kind of ['mrz', 'can'] as const)
      it(`${curveName} ${cipher} with the ${kind === 'can' ? 'CAN' : 'MRZ'}: both sides hold the same keys`, async () => {
        const info = offered('ECDH-GM', cipher, parameterId);
        const chip = new PaceChip({ crypto, info, passwords: { mrzInformation: MRZ_INFO, can: '012345' } });
        const { send, session } = link(chip);
        const password: PacePassword =
          kind === 'mrz' ? { kind, mrzInformation: MRZ_INFO } : { kind, can: '012345' };
        const result = await performPace(send, { crypto, info, password });
        if (!result.ok) throw new Error(`${result.error.step}: ${result.error.detail}`);
        const chipSession = session();
        if (!chipSession) throw new Error('the chip did not open a session');
        // A protected SELECT goes through under the two sides' keys.
        const reader = new SmReaderSession(result.value.suite, result.value.ssc);
        const card = new SmCardSession(chipSession.suite, chipSession.ssc);
        const wrapped = reader.wrapCommand({
          cla: 0,
          ins: 0xa4,
          p1: 2,
          p2: 0x0c,
          data: Uint8Array.of(1, 0x1e),
        });
        const unwrapped = card.unwrapCommand(wrapped);
        expect(unwrapped.ok && toHex(unwrapped.value.data)).toBe('011E');
        const answer = reader.unwrapResponse(card.wrapResponse(new Uint8Array(0), 0x9000));
        expect(answer.ok && answer.value.sw).toBe(0x9000);
      });

  it('a wrong CAN is refused by the chip at mutual authentication (6300)', async () => {
    const info = offered('ECDH-GM', 'aes-128', 13);
    const chip = new PaceChip({ crypto, info, passwords: { can: '012345' } });
    const result = await performPace(link(chip).send, {
      crypto,
      info,
      password: { kind: 'can', can: '543210' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toMatchObject({
        reason: 'access-denied',
        step: 'mutual-authentication',
        statusWord: 0x6300,
      });
  });

  it('a password the chip does not hold is refused at MSE:Set AT (6A88)', async () => {
    const info = offered('ECDH-GM', 'aes-128', 13);
    const chip = new PaceChip({ crypto, info, passwords: { mrzInformation: MRZ_INFO } });
    const result = await performPace(link(chip).send, {
      crypto,
      info,
      password: { kind: 'can', can: '012345' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toMatchObject({ reason: 'refused', step: 'mse-set-at', statusWord: 0x6a88 });
  });

  it('names unsupported mappings and parameters instead of trying them', async () => {
    const base = offered('ECDH-IM', 'aes-128', 13);
    const im = await performPace(async () => response('9000'), {
      crypto,
      info: base,
      password: { kind: 'can', can: '1' },
    });
    expect(!im.ok && im.error.reason).toBe('unsupported');
    const dh = await performPace(async () => response('9000'), {
      crypto,
      info: { ...base, mapping: 'ECDH-GM', parameterId: 2 },
      password: { kind: 'can', can: '1' },
    });
    expect(!dh.ok && dh.error.reason).toBe('unsupported');
  });
});
