/**
 * Prefill from the old card's QR code (renewal, correction): the printed card's QR carries the
 * personal ID, the former CMND number, the name, the date of birth, the sex, the address and the
 * issue date (protocol/cccd/qr.ts). The QR text comes as the camera's QR reader or a 2D barcode
 * scanner read it; it is untrusted, so a QR without a usable personal ID is refused with the
 * officer's message, and the other fields' problems only leave those fields out.
 */
import { parseCccdQr } from '../../../protocol/cccd/qr.ts';

export interface CardQrFields {
  /** The 12-digit personal ID (also the card's number). */
  readonly personalId: string;
  /** The card's fields under the applicant's field names (NFC), only those the QR gives cleanly. */
  readonly record: Readonly<Record<string, string>>;
  /** Where they came from: the printed QR (default) or the chip. */
  readonly source?: 'qr' | 'card';
}

export type CardQrRead =
  | { readonly ok: true; readonly fields: CardQrFields }
  | { readonly ok: false; readonly message: { readonly vi: string; readonly en: string } };

/** Longest QR text taken (a CCCD QR is under 200 characters). */
const MAX_QR_TEXT = 1000;

/** The applicant's fields from the old card's QR text; `today` is YYYY-MM-DD at the station. */
export function cardQrFields(text: string, today: string): CardQrRead {
  const refused = (why: { vi: string; en: string }): CardQrRead => ({
    ok: false,
    message: {
      vi: `Mã QR của thẻ cũ không dùng được: ${why.vi}. Nhập số định danh thay thế.`,
      en: `The old card's QR code cannot be used: ${why.en}. Type the personal ID instead.`,
    },
  });
  if (text.length > MAX_QR_TEXT)
    return refused({ vi: 'quá dài', en: `it is ${text.length} characters, at most ${MAX_QR_TEXT}` });
  const qr = parseCccdQr(text.replace(/^\uFEFF/, '').replace(/[\r\n\t]+$/, ''), { today });
  const broken = new Set(qr.errors.map((e) => e.field as string));
  if (qr.id === undefined || !/^\d{12}$/.test(qr.id) || broken.has('id') || broken.has('format'))
    return refused({ vi: 'không có số định danh hợp lệ', en: 'it has no valid personal ID' });
  const record: Record<string, string> = {};
  if (qr.fullName !== undefined && !broken.has('fullName')) record.fullName = qr.fullName.normalize('NFC');
  if (qr.dateOfBirth !== undefined && !broken.has('dateOfBirth')) record.birthDate = qr.dateOfBirth;
  if (qr.sex !== undefined && !broken.has('sex')) record.sex = qr.sex === 'M' ? 'male' : 'female';
  if (qr.address !== undefined && !broken.has('address'))
    record.placeOfResidence = qr.address.normalize('NFC');
  if (qr.oldId !== undefined && !broken.has('oldId')) record.formerIdNumber = qr.oldId;
  return { ok: true, fields: { personalId: qr.id, record } };
}
