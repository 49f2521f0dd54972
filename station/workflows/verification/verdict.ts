/**
 * The notary's verdict in plain words, from the checks of one verification session. Pure.
 *
 * Precedence (the first that applies is the verdict; every one that applies is a finding):
 *
 *   1. data-altered            PA: a data group's hash differs from the SOD, or the SOD's signature is invalid
 *   2. cloned-chip             Chip or Active Authentication failed: the chip lacks the issuer's key
 *   3. unknown-issuer          PA: the document signer does not chain to a trusted CSCA (or was revoked,
 *                              or a certificate on the path is out of date)
 *   4. reported-lost           central: the card was reported lost
 *   5. card-revoked            central: the card was revoked
 *   6. card-replaced           central: a newer card replaced it
 *   7. expired                 the card is past its date of expiry
 *   8. person-does-not-match   the live face (or finger) is not the chip's holder
 *   9. chip-not-checked        PA or the chip could not be checked (no trust list, unsupported algorithm ...)
 *  10. status-not-checked      central was not asked: offline, or it did not answer ("never a silent valid")
 *  11. person-not-checked      no usable face (and no finger) comparison
 *  12. genuine-holder-present  every check passed
 *
 * Why this order: a verdict about the person is worthless on altered data or a cloned chip (the
 * portrait the face was compared with is then not the issuer's), so the chip's integrity comes
 * first; the data's origin before the card's standing at central; definite refusals before any
 * "not checked"; and "genuine" only when nothing else applies.
 */
import type { OfficerMessage } from '../../../protocol/cccd/text.ts';

export type VerdictCode =
  | 'data-altered'
  | 'cloned-chip'
  | 'unknown-issuer'
  | 'reported-lost'
  | 'card-revoked'
  | 'card-replaced'
  | 'expired'
  | 'person-does-not-match'
  | 'chip-not-checked'
  | 'status-not-checked'
  | 'person-not-checked'
  | 'genuine-holder-present';

/** The precedence above, most severe first. */
export const VERDICT_PRECEDENCE: readonly VerdictCode[] = [
  'data-altered',
  'cloned-chip',
  'unknown-issuer',
  'reported-lost',
  'card-revoked',
  'card-replaced',
  'expired',
  'person-does-not-match',
  'chip-not-checked',
  'status-not-checked',
  'person-not-checked',
  'genuine-holder-present',
];

/** What the notary reads, Vietnamese first. */
export const VERDICT_MESSAGES: Readonly<Record<VerdictCode, OfficerMessage>> = {
  'genuine-holder-present': {
    vi: 'Thẻ thật và người xuất trình đúng là chủ thẻ.',
    en: 'The card is genuine and its holder is present.',
  },
  'data-altered': {
    vi: 'Dữ liệu trên chip đã bị sửa đổi: không chấp nhận thẻ, báo cáo cấp trên.',
    en: 'The chip data has been altered: do not accept the card; report it to your supervisor.',
  },
  'cloned-chip': {
    vi: 'Nghi chip bị sao chép (chip không chứng minh được khóa của cơ quan cấp): không chấp nhận thẻ, báo cáo cấp trên.',
    en: "Suspected cloned chip (it could not prove it holds the issuer's key): do not accept the card; report it.",
  },
  'unknown-issuer': {
    vi: 'Không xác định được cơ quan cấp (chữ ký không thuộc danh sách tin cậy): kiểm tra danh sách CSCA; nếu đã cập nhật, không chấp nhận thẻ.',
    en: 'Unknown issuer (the signature is not from a trusted authority): check the CSCA list; if it is current, do not accept the card.',
  },
  'reported-lost': {
    vi: 'Thẻ đã được báo mất: không chấp nhận thẻ, giữ thẻ theo quy định và báo cáo.',
    en: 'The card has been reported lost: do not accept it; retain it as the rules require and report it.',
  },
  'card-revoked': {
    vi: 'Thẻ đã bị thu hồi: không chấp nhận thẻ.',
    en: 'The card has been revoked: do not accept it.',
  },
  'card-replaced': {
    vi: 'Thẻ đã được thay bằng thẻ mới: không chấp nhận thẻ cũ.',
    en: 'The card has been replaced by a newer one: do not accept the old card.',
  },
  expired: {
    vi: 'Thẻ đã hết hạn sử dụng.',
    en: 'The card has expired.',
  },
  'person-does-not-match': {
    vi: 'Người xuất trình không khớp với chủ thẻ (ảnh hoặc vân tay trên chip): không chấp nhận, kiểm tra lại bằng mắt.',
    en: "The person does not match the card's holder (chip portrait or fingerprint): do not accept; check by eye.",
  },
  'chip-not-checked': {
    vi: 'Chưa kiểm tra được tính xác thực của chip (chưa có danh sách tin cậy hoặc thuật toán chưa hỗ trợ).',
    en: "The chip's authenticity could not be checked (no trust list, or an algorithm not supported).",
  },
  'status-not-checked': {
    vi: 'Chưa kiểm tra tình trạng thẻ với trung tâm (ngoại tuyến): chưa biết thẻ có bị báo mất hay không.',
    en: 'Card status not checked with central (offline): whether it was reported lost is unknown.',
  },
  'person-not-checked': {
    vi: 'Chưa đối chiếu được người xuất trình với chủ thẻ (không có ảnh khuôn mặt hoặc vân tay dùng được).',
    en: "The person was not compared with the card's holder (no usable face or fingerprint).",
  },
};

/** The checks a verdict is drawn from. */
export interface VerdictInput {
  /** PA's verdict kind (protocol/icao9303/pa.ts PaVerdict['kind']). */
  readonly passiveAuthentication: string;
  /** The chip verdict (chip-verdict.ts ChipVerdictKind). */
  readonly chip: string;
  /** validity.kind from protocol/cccd/validity.ts. */
  readonly validity: 'in-date' | 'no-expiry' | 'expired' | 'unknown';
  /** Central's card status, or not checked. */
  readonly status:
    | { readonly checked: true; readonly status: 'valid' | 'reported-lost' | 'replaced' | 'revoked' }
    | { readonly checked: false };
  readonly face:
    | { readonly checked: true; readonly decision: 'same' | 'different' }
    | { readonly checked: false };
  readonly finger:
    | { readonly checked: true; readonly decision: 'match' | 'no-match' | 'cannot-compare' }
    | { readonly checked: false };
}

export interface Verdict {
  readonly code: VerdictCode;
  readonly message: OfficerMessage;
  /** Every code that applies, in precedence order (the first is `code`). */
  readonly findings: readonly { readonly code: VerdictCode; readonly message: OfficerMessage }[];
}

/** The verdict for a session's checks. Never throws. */
export function decideVerdict(input: VerdictInput): Verdict {
  const applies = new Set<VerdictCode>();
  const pa = input.passiveAuthentication;
  if (pa === 'data-group-altered' || pa === 'signature-invalid') applies.add('data-altered');
  if (input.chip === 'clone-suspected') applies.add('cloned-chip');
  if (pa === 'unknown-issuer' || pa === 'revoked' || pa === 'certificate-expired')
    applies.add('unknown-issuer');
  if (input.status.checked) {
    if (input.status.status === 'reported-lost') applies.add('reported-lost');
    if (input.status.status === 'revoked') applies.add('card-revoked');
    if (input.status.status === 'replaced') applies.add('card-replaced');
  } else applies.add('status-not-checked');
  if (input.validity === 'expired') applies.add('expired');
  const faceDifferent = input.face.checked && input.face.decision === 'different';
  const fingerDifferent = input.finger.checked && input.finger.decision === 'no-match';
  if (faceDifferent || fingerDifferent) applies.add('person-does-not-match');
  if (pa === 'not-checked' || input.chip === 'not-proven' || input.chip === 'not-supported')
    applies.add('chip-not-checked');
  const faceSame = input.face.checked && input.face.decision === 'same';
  const fingerSame = input.finger.checked && input.finger.decision === 'match';
  if (!faceSame && !fingerSame && !applies.has('person-does-not-match')) applies.add('person-not-checked');
  if (applies.size === 0) applies.add('genuine-holder-present');
  const findings = VERDICT_PRECEDENCE.filter((code) => applies.has(code)).map((code) => ({
    code,
    message: VERDICT_MESSAGES[code],
  }));
  const first = findings[0] ?? {
    code: 'genuine-holder-present' as const,
    message: VERDICT_MESSAGES['genuine-holder-present'],
  };
  return { code: first.code, message: first.message, findings };
}
