/**
 * The officer's words for the error codes the HTTP routes answer without their own: Vietnamese
 * first, then English, each saying what to do. Routes whose errors carry their own officer message
 * (auth, cards, verification, enrollment) keep theirs; an unknown code gets its status's general
 * words in Vietnamese and the error's own English message.
 */
import type { OfficerMessages } from './errors.ts';

export const ERROR_MESSAGES: Readonly<Record<string, OfficerMessages>> = {
  DEVICE_NOT_FOUND: {
    vi: 'Không có thiết bị này trên trạm. Kiểm tra dây cắm hoặc chọn thiết bị khác.',
    en: 'The station has no such device. Check the cable or choose another device.',
  },
  NOT_A_SCANNER: {
    vi: 'Thiết bị này không phải máy quét vân tay. Chọn máy quét vân tay.',
    en: 'This device is not a fingerprint scanner. Choose a fingerprint scanner.',
  },
  NOT_A_CAMERA: {
    vi: 'Thiết bị này không phải máy ảnh. Chọn máy ảnh.',
    en: 'This device is not a camera. Choose a camera.',
  },
  NOT_A_BARCODE_SCANNER: {
    vi: 'Thiết bị này không phải máy đọc mã vạch. Chọn máy đọc mã.',
    en: 'This device is not a barcode scanner. Choose a barcode scanner.',
  },
  SCANNER_NOT_FOUND: {
    vi: 'Không có máy quét vân tay. Cắm máy quét rồi thử lại.',
    en: 'No fingerprint scanner is attached. Plug one in and try again.',
  },
  CAMERA_NOT_READY: {
    vi: 'Máy ảnh chưa có hình. Kiểm tra dây cắm và đợi vài giây rồi thử lại.',
    en: 'The camera has no picture yet. Check its cable, wait a few seconds and try again.',
  },
  DEVICE_BUSY: {
    vi: 'Thiết bị đang bận với thao tác khác. Đợi xong rồi thử lại.',
    en: 'The device is busy with another operation. Wait for it to finish and try again.',
  },
  DEVICE_TIMEOUT: {
    vi: 'Hết thời gian chờ thiết bị. Đặt ngón tay hoặc thẻ đúng chỗ rồi thử lại.',
    en: 'The device did not answer in time. Place the finger or card and try again.',
  },
  DEVICE_DISCONNECTED: {
    vi: 'Thiết bị đã bị rút ra. Cắm lại rồi thử lại.',
    en: 'The device was unplugged. Plug it back in and try again.',
  },
  DEVICE_UNAVAILABLE: {
    vi: 'Thiết bị chưa sẵn sàng. Kiểm tra dây cắm rồi thử lại.',
    en: 'The device is not ready. Check its cable and try again.',
  },
  DEVICE_CANCELED: { vi: 'Thao tác đã bị hủy.', en: 'The operation was canceled.' },
  PORTRAIT_UNAVAILABLE: {
    vi: 'Trạm không kiểm tra được ảnh chân dung lúc này. Báo cán bộ kỹ thuật.',
    en: 'The station cannot check portraits now. Call technical support.',
  },
  OUTBOX_UNKNOWN_PACKET: {
    vi: 'Không có gói hồ sơ này trong hàng chờ gửi.',
    en: 'The outbox holds no such packet.',
  },
  OUTBOX_WRONG_STATE: {
    vi: 'Gói hồ sơ không ở trạng thái cho phép thao tác này.',
    en: 'The packet is not in a state that allows this.',
  },
  CENTRAL_UNREACHABLE: {
    vi: 'Không liên lạc được với trung tâm. Kiểm tra mạng; hồ sơ vẫn được giữ để gửi sau.',
    en: 'Central cannot be reached. Check the network; records are kept and sent later.',
  },
  CENTRAL_ANSWER_INVALID: {
    vi: 'Trung tâm trả lời không hợp lệ. Thử lại sau.',
    en: 'Central gave an answer the station cannot read. Try again later.',
  },
  QR_IMAGE_EXPECTED: {
    vi: 'Cần gửi ảnh JPEG hoặc PNG có mã QR.',
    en: 'Send a JPEG or PNG image holding the QR code.',
  },
  IMAGE_TOO_LARGE: {
    vi: 'Ảnh quá lớn. Chụp lại với độ phân giải nhỏ hơn.',
    en: 'The image is too large. Capture it again at a lower resolution.',
  },
  STREAMS_BUSY: {
    vi: 'Đã mở quá nhiều luồng trực tiếp; đóng bớt một màn hình rồi thử lại.',
    en: 'Too many live streams are open; close one screen and try again.',
  },
};

/** General Vietnamese words by HTTP status, for a code without its own. */
const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'Yêu cầu không hợp lệ. Kiểm tra lại thông tin đã nhập.',
  404: 'Không tìm thấy mục được yêu cầu.',
  409: 'Mục này đang bận hoặc vừa thay đổi. Tải lại rồi thử lại.',
  413: 'Dữ liệu gửi lên quá lớn.',
  415: 'Định dạng dữ liệu không được hỗ trợ.',
  422: 'Dữ liệu không xử lý được. Kiểm tra lại rồi thử lại.',
  499: 'Thao tác đã bị hủy.',
  502: 'Thiết bị hoặc trung tâm trả lời không hợp lệ. Thử lại.',
  503: 'Thiết bị hoặc dịch vụ chưa sẵn sàng. Kiểm tra rồi thử lại.',
  504: 'Hết thời gian chờ. Thử lại.',
};

/**
 * The officer's message for an error answer: the catalogue's for `code`, else the status's general
 * Vietnamese words with `english` (the error's own message).
 */
export function officerMessages(code: string, status: number, english: string): OfficerMessages {
  const known = ERROR_MESSAGES[code];
  if (known !== undefined) return known;
  const vi =
    BY_STATUS[status] ??
    (status >= 500
      ? 'Trạm gặp lỗi. Thử lại; nếu vẫn lỗi, báo cán bộ kỹ thuật.'
      : 'Yêu cầu không thực hiện được. Kiểm tra lại rồi thử lại.');
  return { vi, en: english };
}
