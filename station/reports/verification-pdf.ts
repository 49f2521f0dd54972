/**
 * The verification report printed for people: Vietnamese first, English second, from the signed
 * JSON (the PDF is a rendering, not the signed object: the JSON and its CMS are the evidence).
 */
import { StationPdf } from './pdf.ts';
import type { VerificationReport } from './verification-report.ts';

const yesNo = (value: boolean | null) =>
  value === null ? 'không rõ / unknown' : value ? 'có / yes' : 'không / no';

/** Renders the report; resolves the PDF bytes. */
export async function renderVerificationPdf(report: VerificationReport): Promise<Uint8Array> {
  const pdf = new StationPdf({
    title: 'Biên bản xác minh thẻ căn cước / Identity card verification report',
    subject: report.reportId,
    createdAt: Date.parse(report.createdAt),
  });
  pdf.heading('Biên bản xác minh thẻ căn cước gắn chip');
  pdf.paragraph('Identity card (CCCD) chip verification report', 11);
  pdf.rule();
  pdf.heading('Kết luận / Verdict', 13);
  pdf.paragraph(report.verdict.message.vi, 12);
  pdf.paragraph(report.verdict.message.en, 10);
  for (const finding of report.verdict.findings.slice(1))
    pdf.small(`• ${finding.message.vi} / ${finding.message.en}`);
  pdf.rule();
  pdf.heading('Thẻ / Card', 13);
  const holder = report.card.holder ?? {};
  pdf.field(
    'Họ và tên / Name',
    holder.fullName ?? `${holder.surname ?? ''} ${holder.givenNames ?? ''}`.trim(),
  );
  pdf.field('Số định danh / Personal ID', holder.id12 ?? '—');
  pdf.field('Ngày sinh / Date of birth (YYMMDD)', holder.dateOfBirth ?? '—');
  pdf.field('Ngày hết hạn / Date of expiry', report.card.validity.dateOfExpiry ?? '—');
  pdf.field('Còn hạn / In date', yesNo(report.card.validity.valid));
  pdf.field('Mở chip bằng / Chip opened with', report.card.accessMethod);
  pdf.rule();
  pdf.heading('Kiểm tra chip / Chip checks', 13);
  pdf.field('Xác thực thụ động / Passive Authentication', report.chip.passiveAuthentication.verdict);
  pdf.field('Xác thực chip / Chip Authentication', report.chip.chipAuthentication.status);
  pdf.field('Xác thực chủ động / Active Authentication', report.chip.activeAuthentication.status);
  pdf.field('Kết luận về chip / Chip verdict', report.chip.verdict);
  pdf.field(
    'Tình trạng thẻ tại trung tâm / Card status at central',
    report.status.checked ? report.status.status : `chưa kiểm tra / not checked (${report.status.reason})`,
  );
  pdf.rule();
  pdf.heading('Đối chiếu người / Person check (khẳng định của trạm / the station’s claim)', 13);
  pdf.field(
    'Khuôn mặt / Face',
    report.face.checked ? String(report.face.decision) : `chưa đối chiếu / not checked`,
  );
  pdf.field(
    'Vân tay / Fingerprint',
    report.finger.checked ? String(report.finger.decision) : `chưa đối chiếu / not checked`,
  );
  pdf.rule();
  pdf.paragraph(report.notice.vi, 9);
  pdf.paragraph(report.notice.en, 9);
  pdf.field('Cán bộ / Officer', report.officer.id, 9);
  pdf.field('Trạm / Station', `${report.stationId} (${report.environment})`, 9);
  pdf.field('Thời điểm / Time', report.createdAt, 9);
  pdf.small(`Mã biên bản / Report id: ${report.reportId}`);
  pdf.small(
    'Bản in này không phải bản có chữ ký số: kiểm tra tệp JSON và chữ ký CMS bằng "station report verify".',
  );
  pdf.small(
    'This printout is not the signed object: check the JSON file and its CMS signature with "station report verify".',
  );
  return pdf.finish();
}
