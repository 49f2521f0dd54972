/**
 * Province codes of the 12-digit personal ID number (số định danh cá nhân): the first three digits
 * name the province or centrally-run city where the citizen's birth was registered. The table is
 * Appendix I of Circular 07/2016/TT-BCA (Ministry of Public Security, 1 February 2016), as amended
 * by Circular 59/2021/TT-BCA: 63 codes from 001 Hà Nội to 096 Cà Mau, with gaps (003, 005, …). The
 * codes below are the 2016 appendix's; we have seen no published version of the table that differs.
 *
 * The 2025 reorganisation into 34 provinces did not renumber existing IDs: IDs already issued keep
 * their codes, so this table stays the key for reading them, with the province names as they were
 * when the codes were assigned.
 *
 * Not accepted here: the country codes the circular gives to births registered abroad (Appendix II).
 */

export interface Province {
  /** Three digits, e.g. '001'. */
  readonly code: string;
  /** The province or city name (NFC), as in the circular's appendix. */
  readonly name: string;
}

/** Circular 07/2016/TT-BCA Appendix I, in code order. */
const TABLE: readonly (readonly [string, string])[] = [
  ['001', 'Hà Nội'],
  ['002', 'Hà Giang'],
  ['004', 'Cao Bằng'],
  ['006', 'Bắc Kạn'],
  ['008', 'Tuyên Quang'],
  ['010', 'Lào Cai'],
  ['011', 'Điện Biên'],
  ['012', 'Lai Châu'],
  ['014', 'Sơn La'],
  ['015', 'Yên Bái'],
  ['017', 'Hòa Bình'],
  ['019', 'Thái Nguyên'],
  ['020', 'Lạng Sơn'],
  ['022', 'Quảng Ninh'],
  ['024', 'Bắc Giang'],
  ['025', 'Phú Thọ'],
  ['026', 'Vĩnh Phúc'],
  ['027', 'Bắc Ninh'],
  ['030', 'Hải Dương'],
  ['031', 'Hải Phòng'],
  ['033', 'Hưng Yên'],
  ['034', 'Thái Bình'],
  ['035', 'Hà Nam'],
  ['036', 'Nam Định'],
  ['037', 'Ninh Bình'],
  ['038', 'Thanh Hóa'],
  ['040', 'Nghệ An'],
  ['042', 'Hà Tĩnh'],
  ['044', 'Quảng Bình'],
  ['045', 'Quảng Trị'],
  ['046', 'Thừa Thiên Huế'],
  ['048', 'Đà Nẵng'],
  ['049', 'Quảng Nam'],
  ['051', 'Quảng Ngãi'],
  ['052', 'Bình Định'],
  ['054', 'Phú Yên'],
  ['056', 'Khánh Hòa'],
  ['058', 'Ninh Thuận'],
  ['060', 'Bình Thuận'],
  ['062', 'Kon Tum'],
  ['064', 'Gia Lai'],
  ['066', 'Đắk Lắk'],
  ['067', 'Đắk Nông'],
  ['068', 'Lâm Đồng'],
  ['070', 'Bình Phước'],
  ['072', 'Tây Ninh'],
  ['074', 'Bình Dương'],
  ['075', 'Đồng Nai'],
  ['077', 'Bà Rịa - Vũng Tàu'],
  ['079', 'Hồ Chí Minh'],
  ['080', 'Long An'],
  ['082', 'Tiền Giang'],
  ['083', 'Bến Tre'],
  ['084', 'Trà Vinh'],
  ['086', 'Vĩnh Long'],
  ['087', 'Đồng Tháp'],
  ['089', 'An Giang'],
  ['091', 'Kiên Giang'],
  ['092', 'Cần Thơ'],
  ['093', 'Hậu Giang'],
  ['094', 'Sóc Trăng'],
  ['095', 'Bạc Liêu'],
  ['096', 'Cà Mau'],
];

export const PROVINCES: readonly Province[] = TABLE.map(([code, name]) => ({ code, name }));

const BY_CODE: ReadonlyMap<string, Province> = new Map(PROVINCES.map((p) => [p.code, p]));

/** The province with this three-digit code, or undefined (never throws). */
export function provinceByCode(code: string): Province | undefined {
  return BY_CODE.get(code);
}
