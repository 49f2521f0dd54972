/**
 * The e-ID level-2 application packet: the same envelope as an enrollment packet (build.ts: CMS
 * SignedData by the station, EnvelopedData to central, the same signed attributes and unprotected
 * labels), with its own content type and content:
 *
 * ```
 * eContentType id-cccd-eidApplication (PACKET_OID.eidApplication, 1.3.6.1.4.1.99999.17.4)
 * EidApplicationContent ::= SEQUENCE {
 *   version       INTEGER (1),
 *   manifest      OCTET STRING,   -- UTF-8 JSON (eid-manifest.ts), NFC
 *   livePortrait  OCTET STRING,   -- the live capture compared with DG2, JPEG
 *   sod           OCTET STRING }  -- EF.SOD as read from the chip, so central can redo PA
 * ```
 * The session label (`enrollmentSessionId` attribute) carries the registration session id.
 */
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { toHex } from '../bytes.ts';
import { readTlv, readTlvs } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';
import { PacketBuildError, signAndEnvelope } from './build.ts';
import { PACKET_OID } from './container.ts';
import type { PacketCrypto } from './crypto.ts';
import { type EidApplicationManifest, validateEidManifest } from './eid-manifest.ts';
import type { PacketSigner } from './keys.ts';
import type { ManifestProblem } from './manifest.ts';

/** Version of EidApplicationContent written and accepted. */
export const EID_CONTENT_VERSION = 1;

export class EidApplicationContent {
  version = EID_CONTENT_VERSION;
  manifest = new ArrayBuffer(0);
  livePortrait = new ArrayBuffer(0);
  sod = new ArrayBuffer(0);
  constructor(params: Partial<EidApplicationContent> = {}) {
    Object.assign(this, params);
  }
}
// The decorators are applied as calls: the project compiles without `experimentalDecorators`.
AsnType({ type: AsnTypeTypes.Sequence })(EidApplicationContent);
AsnProp({ type: AsnPropTypes.Integer })(EidApplicationContent.prototype, 'version');
AsnProp({ type: AsnPropTypes.OctetString })(EidApplicationContent.prototype, 'manifest');
AsnProp({ type: AsnPropTypes.OctetString })(EidApplicationContent.prototype, 'livePortrait');
AsnProp({ type: AsnPropTypes.OctetString })(EidApplicationContent.prototype, 'sod');

export interface EidParts {
  readonly manifest: Uint8Array;
  readonly livePortrait: Uint8Array;
  readonly sod: Uint8Array;
}

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

/** DER of EidApplicationContent. */
export function encodeEidContent(parts: EidParts): Uint8Array {
  return new Uint8Array(
    AsnConvert.serialize(
      new EidApplicationContent({
        manifest: buffer(parts.manifest),
        livePortrait: buffer(parts.livePortrait),
        sod: buffer(parts.sod),
      }),
    ),
  );
}

const FIELDS = ['manifest', 'livePortrait', 'sod'] as const;

/**
 * Decodes EidApplicationContent. Errors: `invalid-value` when it is not the SEQUENCE above,
 * `unsupported` for another version, `trailing-data` after it, `truncated` for a length past the
 * end. The parts are views into `der`.
 */
export function decodeEidContent(der: Uint8Array): DecodeResult<EidParts> {
  const limits = { maxLength: der.length };
  const outer = readTlv(der, 0, limits);
  if (!outer.ok) return outer;
  if (outer.value.totalLength !== der.length)
    return fail('trailing-data', outer.value.totalLength, 'bytes after EidApplicationContent');
  if (outer.value.tag !== 0x30) return fail('invalid-value', 0, 'EidApplicationContent is a SEQUENCE');
  const base = outer.value.headerLength;
  const fields = readTlvs(outer.value.value, { ...limits, maxNodes: 5 });
  if (!fields.ok) return fail(fields.error.reason, base + fields.error.offset, fields.error.detail);
  const [versionField, ...rest] = fields.value;
  if (versionField?.tag !== 0x02 || versionField.value.length !== 1)
    return fail('invalid-value', base, 'EidApplicationContent does not start with its version (INTEGER)');
  if (versionField.value[0] !== EID_CONTENT_VERSION)
    return fail(
      'unsupported',
      base,
      `content version ${versionField.value[0]}; this reader knows ${EID_CONTENT_VERSION}`,
    );
  if (rest.length !== FIELDS.length)
    return fail(
      'invalid-value',
      base,
      `EidApplicationContent holds ${rest.length} parts after its version, not ${FIELDS.length}`,
    );
  const parts: Partial<Record<(typeof FIELDS)[number], Uint8Array>> = {};
  for (const [i, name] of FIELDS.entries()) {
    const field = rest[i];
    if (field?.tag !== 0x04)
      return fail('invalid-value', base + (field?.offset ?? 0), `${name} is not a primitive OCTET STRING`);
    parts[name] = field.value;
  }
  const { manifest, livePortrait, sod } = parts;
  if (manifest === undefined || livePortrait === undefined || sod === undefined)
    return fail('invalid-value', base, 'EidApplicationContent parts missing');
  return ok({ manifest, livePortrait, sod });
}

export interface BuildEidInput {
  readonly manifest: EidApplicationManifest;
  /** The live portrait, JPEG: hashes to `manifest.face.livePortraitSha256`. */
  readonly livePortrait: Uint8Array;
  /** EF.SOD as read: hashes to `manifest.chip.sodSha256`. */
  readonly sod: Uint8Array;
  readonly signer: PacketSigner;
  readonly recipientCertificate: Uint8Array;
  /** signingTime, ms since the Unix epoch. */
  readonly signingTime: number;
  readonly crypto: PacketCrypto;
}

/** The manifest's hashes of the parts carried beside it: every one that disagrees. */
export async function eidPartProblems(
  manifest: EidApplicationManifest,
  parts: { readonly livePortrait: Uint8Array; readonly sod: Uint8Array },
  crypto: PacketCrypto,
): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  const expect = async (bytes: Uint8Array, hex: string, path: string, what: string) => {
    const got = toHex(await crypto.sha256(bytes)).toLowerCase();
    if (got !== hex) problems.push({ path, rule: 'hash', message: `the ${what} hashes to ${got}` });
  };
  await expect(
    parts.livePortrait,
    manifest.face.livePortraitSha256,
    '/face/livePortraitSha256',
    'live portrait',
  );
  await expect(parts.sod, manifest.chip.sodSha256, '/chip/sodSha256', 'EF.SOD');
  return problems;
}

/**
 * Validates, signs and encrypts one e-ID application packet.
 * @throws {PacketBuildError} PACKET_MANIFEST_INVALID with every failing field;
 *   PACKET_PART_HASH_MISMATCH when the portrait or the SOD does not hash to the manifest's value;
 *   the envelope's errors (signAndEnvelope).
 */
export async function buildEidPacket(input: BuildEidInput): Promise<{ readonly packet: Uint8Array }> {
  const { manifest } = input;
  const validation = validateEidManifest(manifest);
  if (!validation.ok)
    throw new PacketBuildError(
      'PACKET_MANIFEST_INVALID',
      `the e-ID manifest is invalid: ${validation.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
      validation.problems,
    );
  const problems = await eidPartProblems(manifest, input, input.crypto);
  if (problems.length > 0)
    throw new PacketBuildError(
      'PACKET_PART_HASH_MISMATCH',
      `the live portrait or EF.SOD does not match the manifest's hashes (${problems.map((p) => p.path).join(', ')})`,
      problems,
    );
  const content = encodeEidContent({
    manifest: new TextEncoder().encode(JSON.stringify(manifest)),
    livePortrait: input.livePortrait,
    sod: input.sod,
  });
  const { packet } = await signAndEnvelope({
    content,
    eContentType: PACKET_OID.eidApplication,
    officerId: manifest.officerId,
    environment: manifest.environment,
    labels: { packetId: manifest.packetId, sessionId: manifest.registrationSessionId },
    signer: input.signer,
    recipientCertificate: input.recipientCertificate,
    signingTime: input.signingTime,
    crypto: input.crypto,
  });
  return { packet };
}
