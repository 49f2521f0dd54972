/**
 * The citizen's receipt (giấy hẹn trả thẻ) printed when an enrollment is queued: Vietnamese first,
 * English second, the packet id as text and as a QR code (the return desk scans it to find the
 * card), and the date from which the card can be collected.
 */
import type { ReceiptData } from '../workflows/enrollment/receipt.ts';
import { StationPdf } from './pdf.ts';

const TYPE_LABEL: Readonly<Record<ReceiptData['type'], string>> = {
  'first-issue': 'Cấp mới / First issue',
  renewal: 'Cấp đổi / Renewal',
  'reissue-after-loss': 'Cấp lại do mất / Re-issue after loss',
  correction: 'Điều chỉnh thông tin / Correction of data',
};

const REASON_LABEL: Readonly<Record<string, string>> = {
  amputated: 'cụt ngón / amputated',
  bandaged: 'băng bó / bandaged',
  'unable-to-print': 'không lấy được vân / unable to print',
  other: 'lý do khác / other',
};

/** DD/MM/YYYY, as dates are written in Vietnam. */
const vnDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/** Renders the receipt; resolves the PDF bytes. */
export async function renderEnrollmentReceipt(receipt: ReceiptData): Promise<Uint8Array> {
  const submitted = Date.parse(receipt.submittedAt);
  const pdf = new StationPdf({
    title: 'Giấy hẹn trả thẻ căn cước / Identity card collection receipt',
    subject: receipt.packetId,
    createdAt: submitted,
  });
  pdf.heading('Giấy hẹn trả thẻ căn cước');
  pdf.paragraph('Identity card (CCCD) application receipt', 11);
  pdf.rule();
  pdf.field('Họ và tên / Name', receipt.fullName, 12);
  pdf.field('Số định danh cá nhân / Personal ID', receipt.personalId);
  pdf.field('Ngày sinh / Date of birth', vnDate(receipt.birthDate));
  pdf.field('Loại thủ tục / Application', TYPE_LABEL[receipt.type]);
  pdf.field(
    'Ngày tiếp nhận / Received on',
    `${vnDate(new Date(submitted + 7 * 3_600_000).toISOString().slice(0, 10))}`,
  );
  pdf.field('Ngày hẹn trả thẻ / Collect from', vnDate(receipt.expectedFrom), 12);
  for (const e of receipt.exceptions)
    pdf.field(
      `Ngón số ${e.position} không thu nhận / Finger ${e.position} not captured`,
      REASON_LABEL[e.reason] ?? e.reason,
    );
  pdf.rule();
  pdf.heading('Mã hồ sơ / Application number', 12);
  pdf.qr(receipt.packetId, 130);
  pdf.paragraph(receipt.packetId, 10);
  pdf.rule();
  pdf.paragraph(
    'Công dân mang theo giấy hẹn này khi đến nhận thẻ. Thời hạn trả thẻ tính theo ngày làm việc; ' +
      'nếu có thay đổi, cơ quan công an sẽ thông báo.',
    9,
  );
  pdf.paragraph(
    'Bring this receipt when you collect your card. The date counts working days; the police will tell you of any change.',
    9,
  );
  pdf.small(`Trạm / Station: ${receipt.stationId} · Cán bộ / Officer: ${receipt.officerId}`);
  return pdf.finish();
}
