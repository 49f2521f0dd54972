/**
 * The packet's object identifiers and its fixed content layout, declared with @peculiar/asn1-schema.
 *
 * ```
 * EnrollmentPacketContent ::= SEQUENCE {
 *   version      INTEGER (1),
 *   manifest     OCTET STRING,   -- UTF-8 JSON (manifest.ts), NFC
 *   transaction  OCTET STRING,   -- the ANSI/NIST-ITL transaction, opaque here
 *   portrait     OCTET STRING }  -- the card portrait, JPEG
 * ```
 *
 * OIDs: the arc 1.3.6.1.4.1.99999 is a PLACEHOLDER. The project holds no IANA Private Enterprise
 * Number yet; 99999 is not ours and must be replaced by our PEN before production (every OID
 * below moves with it, and packets made with the placeholder stay readable only by a reader that
 * still knows it).
 */
import { EnvelopedData, SignedData } from '@peculiar/asn1-cms';
import {
  AsnChoiceType,
  AsnConvert,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
} from '@peculiar/asn1-schema';
import { readTlv, readTlvs } from '../iso7816/tlv.ts';
import { type DecodeResult, fail, ok } from '../result.ts';

/** Placeholder enterprise arc (unregistered, see above) and the packet's sub-arc. */
export const PACKET_ARC = '1.3.6.1.4.1.99999.17';

export const PACKET_OID = {
  /** eContentType of the SignedData: EnrollmentPacketContent. */
  enrollmentPacket: `${PACKET_ARC}.1`,
  /** Signed attribute: the officer id (UTF8String). */
  officerId: `${PACKET_ARC}.2.1`,
  /** Signed and unprotected attribute: 'test' or 'production' (PrintableString). */
  environment: `${PACKET_ARC}.2.2`,
  /** Unprotected attribute: the packet id, a UUID (PrintableString). */
  packetId: `${PACKET_ARC}.2.3`,
  /** Unprotected attribute: the enrollment session id, a UUID (PrintableString). */
  enrollmentSessionId: `${PACKET_ARC}.2.4`,
  /** eContentType of an e-ID level-2 application (eid.ts): EidApplicationContent. */
  eidApplication: `${PACKET_ARC}.4`,
} as const;

/** Standard OIDs the packet uses (RFC 5652, RFC 5754, RFC 3565, RFC 4055, RFC 5758). */
export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
} as const;

/** Version of EnrollmentPacketContent written and accepted. */
export const PACKET_CONTENT_VERSION = 1;

export class EnrollmentPacketContent {
  version = PACKET_CONTENT_VERSION;
  manifest = new ArrayBuffer(0);
  transaction = new ArrayBuffer(0);
  portrait = new ArrayBuffer(0);
  constructor(params: Partial<EnrollmentPacketContent> = {}) {
    Object.assign(this, params);
  }
}
// The decorators are applied as calls: the project compiles without `experimentalDecorators`.
AsnType({ type: AsnTypeTypes.Sequence })(EnrollmentPacketContent);
AsnProp({ type: AsnPropTypes.Integer })(EnrollmentPacketContent.prototype, 'version');
AsnProp({ type: AsnPropTypes.OctetString })(EnrollmentPacketContent.prototype, 'manifest');
AsnProp({ type: AsnPropTypes.OctetString })(EnrollmentPacketContent.prototype, 'transaction');
AsnProp({ type: AsnPropTypes.OctetString })(EnrollmentPacketContent.prototype, 'portrait');

/** An attribute value that is one OBJECT IDENTIFIER (contentType, RFC 5652 §11.1). */
export class OidValue {
  value = '';
  constructor(value = '') {
    this.value = value;
  }
}
AsnChoiceType()(OidValue);
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(OidValue.prototype, 'value');

/** An attribute value that is one UTF8String. */
export class Utf8Value {
  value = '';
  constructor(value = '') {
    this.value = value;
  }
}
AsnChoiceType()(Utf8Value);
AsnProp({ type: AsnPropTypes.Utf8String })(Utf8Value.prototype, 'value');

/** An attribute value that is one PrintableString. */
export class PrintableValue {
  value = '';
  constructor(value = '') {
    this.value = value;
  }
}
AsnChoiceType()(PrintableValue);
AsnProp({ type: AsnPropTypes.PrintableString })(PrintableValue.prototype, 'value');

/*
 * ContentInfo (RFC 5652 §3) with its content declared as the type it holds, not ANY:
 *
 *   ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY DEFINED BY contentType }
 *
 * The same DER as @peculiar/asn1-cms's ContentInfo, but the library encodes (and decodes) the
 * content in one pass: with ANY it serialises the content, parses those bytes back into a tree
 * and serialises the tree again, which for a packet is three passes over ~1 MB.
 */

/** ContentInfo { id-signedData, SignedData }. */
export class SignedDataContentInfo {
  contentType: string = CMS_OID.signedData;
  content = new SignedData();
  constructor(params: Partial<SignedDataContentInfo> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(SignedDataContentInfo);
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(SignedDataContentInfo.prototype, 'contentType');
AsnProp({ type: SignedData, context: 0 })(SignedDataContentInfo.prototype, 'content');

/** ContentInfo { id-envelopedData, EnvelopedData }. */
export class EnvelopedDataContentInfo {
  contentType: string = CMS_OID.envelopedData;
  content = new EnvelopedData();
  constructor(params: Partial<EnvelopedDataContentInfo> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(EnvelopedDataContentInfo);
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(EnvelopedDataContentInfo.prototype, 'contentType');
AsnProp({ type: EnvelopedData, context: 0 })(EnvelopedDataContentInfo.prototype, 'content');

export interface PacketParts {
  readonly manifest: Uint8Array;
  readonly transaction: Uint8Array;
  readonly portrait: Uint8Array;
}

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

export function bytesOf(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  return buffer instanceof ArrayBuffer
    ? new Uint8Array(buffer)
    : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** DER of EnrollmentPacketContent. */
export function encodePacketContent(parts: PacketParts): Uint8Array {
  return new Uint8Array(
    AsnConvert.serialize(
      new EnrollmentPacketContent({
        manifest: arrayBufferOf(parts.manifest),
        transaction: arrayBufferOf(parts.transaction),
        portrait: arrayBufferOf(parts.portrait),
      }),
    ),
  );
}

/** A non-negative DER INTEGER of at most 6 bytes, or undefined. */
function smallInteger(value: Uint8Array): number | undefined {
  if (value.length === 0 || value.length > 6 || (value[0] ?? 0) & 0x80) return undefined;
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

const CONTENT_FIELDS = ['manifest', 'transaction', 'portrait'] as const;

/**
 * Decodes EnrollmentPacketContent. Errors: `invalid-value` when it is not the SEQUENCE above,
 * `unsupported` for another version, `trailing-data` after it, `truncated` for a length past the
 * end. The parts are views into `der`, not copies: a packet's transaction is most of its bytes,
 * and the DER walk here reads only the five headers.
 */
export function decodePacketContent(der: Uint8Array): DecodeResult<PacketParts> {
  const limits = { maxLength: der.length };
  const outer = readTlv(der, 0, limits);
  if (!outer.ok) return outer;
  if (outer.value.totalLength !== der.length)
    return fail('trailing-data', outer.value.totalLength, 'bytes after EnrollmentPacketContent');
  if (outer.value.tag !== 0x30) return fail('invalid-value', 0, 'EnrollmentPacketContent is a SEQUENCE');
  const base = outer.value.headerLength;
  const fields = readTlvs(outer.value.value, { ...limits, maxNodes: 5 });
  if (!fields.ok) return fail(fields.error.reason, base + fields.error.offset, fields.error.detail);
  const [versionField, ...rest] = fields.value;
  const version = versionField?.tag === 0x02 ? smallInteger(versionField.value) : undefined;
  if (versionField === undefined || version === undefined)
    return fail('invalid-value', base, 'EnrollmentPacketContent does not start with its version (INTEGER)');
  if (version !== PACKET_CONTENT_VERSION)
    return fail(
      'unsupported',
      base,
      `content version ${version}; this reader knows ${PACKET_CONTENT_VERSION}`,
    );
  if (rest.length !== CONTENT_FIELDS.length)
    return fail(
      'invalid-value',
      base,
      `EnrollmentPacketContent holds ${rest.length} parts after its version, not ${CONTENT_FIELDS.length}`,
    );
  const parts: Partial<Record<(typeof CONTENT_FIELDS)[number], Uint8Array>> = {};
  for (const [i, name] of CONTENT_FIELDS.entries()) {
    const field = rest[i];
    // DER: an OCTET STRING is primitive (tag 04), never the constructed form (24).
    if (field?.tag !== 0x04)
      return fail('invalid-value', base + (field?.offset ?? 0), `${name} is not a primitive OCTET STRING`);
    parts[name] = field.value;
  }
  const { manifest, transaction, portrait } = parts;
  if (manifest === undefined || transaction === undefined || portrait === undefined)
    return fail('invalid-value', base, 'EnrollmentPacketContent parts missing');
  return ok({ manifest, transaction, portrait });
}
