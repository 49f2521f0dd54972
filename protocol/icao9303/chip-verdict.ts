/**
 * Is this the chip the state issued, or a copy? Passive Authentication proves the data was signed;
 * it cannot tell a genuine chip from a clone carrying the same bytes. Chip Authentication (DG14)
 * and Active Authentication (DG15) prove the chip holds a private key, and that proof counts only
 * when the data group with the public key passed Passive Authentication: its hash matches the
 * SOD, the SOD's signature verifies and the signer chains to a trusted CSCA. Otherwise a forger
 * could have put in a key of their own.
 */
import type { OfficerMessage, PaReport } from './pa.ts';

/** How one of the two protocols went. */
export interface ChipProtocolStatus {
  readonly status: /** The chip proved it holds the key. */
    | 'passed'
    /** The chip could not prove it: a clone, or a chip swapped into the card. */
    | 'failed'
    /** The card does not carry the protocol's key (no DG14 CA key, no DG15). */
    | 'not-offered'
    /** Offered but not run or not decidable (refused, an algorithm not implemented, skipped). */
    | 'not-checked';
  readonly detail?: string;
}

export type ChipVerdictKind =
  /** CA or AA passed with a key PA vouches for, and neither failed. */
  | 'genuine-chip'
  /** CA or AA failed: the chip does not hold the key the issuer signed. */
  | 'clone-suspected'
  /** A protocol passed, but with a key PA does not vouch for (altered, unsigned, untrusted). */
  | 'not-proven'
  /** The card offers neither protocol, or neither could be run. */
  | 'not-supported';

export interface ChipVerdict {
  readonly kind: ChipVerdictKind;
  /** Which protocols support the verdict: those that passed (or failed, for a clone). */
  readonly by: readonly ('chip-authentication' | 'active-authentication')[];
  /** Whether PA vouches for DG14's and DG15's keys. */
  readonly keysTrusted: { readonly dg14: boolean; readonly dg15: boolean };
}

/** Whether PA vouches for data group `n`: hash match, valid signature, signer chained to a CSCA. */
export function vouchedByPassiveAuthentication(pa: PaReport, n: number): boolean {
  const check = pa.dataGroups.find((d) => d.dataGroup === n);
  return check?.status === 'match' && pa.signature === 'valid' && pa.csca !== undefined;
}

export function chipVerdict(input: {
  readonly chipAuthentication: ChipProtocolStatus;
  readonly activeAuthentication: ChipProtocolStatus;
  readonly passiveAuthentication: PaReport;
}): ChipVerdict {
  const keysTrusted = {
    dg14: vouchedByPassiveAuthentication(input.passiveAuthentication, 14),
    dg15: vouchedByPassiveAuthentication(input.passiveAuthentication, 15),
  };
  const protocols = [
    {
      name: 'chip-authentication' as const,
      status: input.chipAuthentication.status,
      trusted: keysTrusted.dg14,
    },
    {
      name: 'active-authentication' as const,
      status: input.activeAuthentication.status,
      trusted: keysTrusted.dg15,
    },
  ];
  const failed = protocols.filter((p) => p.status === 'failed');
  if (failed.length > 0) return { kind: 'clone-suspected', by: failed.map((p) => p.name), keysTrusted };
  const provenBy = protocols.filter((p) => p.status === 'passed' && p.trusted);
  if (provenBy.length > 0) return { kind: 'genuine-chip', by: provenBy.map((p) => p.name), keysTrusted };
  const passed = protocols.filter((p) => p.status === 'passed');
  if (passed.length > 0) return { kind: 'not-proven', by: passed.map((p) => p.name), keysTrusted };
  return { kind: 'not-supported', by: [], keysTrusted };
}

/** What the officer reads for each chip verdict, Vietnamese first. */
export const CHIP_VERDICT_MESSAGES: Readonly<Record<ChipVerdictKind, OfficerMessage>> = {
  'genuine-chip': {
    vi: 'Chip là chip thật do cơ quan cấp phát hành: chip đã chứng minh giữ khóa bí mật được ký trong thẻ.',
    en: 'The chip is the one the issuer made: it proved it holds the private key signed into the card.',
  },
  'clone-suspected': {
    vi: 'Nghi chip bị sao chép: chip không chứng minh được khóa bí mật của thẻ. Không chấp nhận thẻ; báo cáo cấp trên.',
    en: 'Suspected cloned chip: it could not prove it holds the card’s private key. Do not accept the card; report it to your supervisor.',
  },
  'not-proven': {
    vi: 'Chip trả lời đúng, nhưng khóa của chip không được chữ ký số của cơ quan cấp xác nhận; chưa chứng minh được chip thật.',
    en: 'The chip answered correctly, but its key is not vouched for by the issuer’s signature; the chip is not proven genuine.',
  },
  'not-supported': {
    vi: 'Thẻ này không hỗ trợ kiểm tra chống sao chép chip; chỉ dựa vào kiểm tra chữ ký dữ liệu.',
    en: 'This card offers no check against chip cloning; rely on the data signature check alone.',
  },
};
