/**
 * Seeded test citizens of the simulated population database (population.ts). Constant data, all
 * invented; each personal ID is consistent with its holder (province code, century-and-sex digit,
 * year of birth: protocol/cccd/personal-id.ts), and cards follow the renewal ages of the Law on
 * Identity 2023 (25, 40, 60; a card issued within two years of one of them lasts to the next).
 *
 * Card numbers: a CCCD / Căn cước card carries the holder's personal ID as its number, so a 12-digit
 * number names the citizen's latest card; 9-digit numbers are the old identity cards (CMND) that a
 * CCCD replaced.
 *
 * | personal ID | who | card status |
 * |---|---|---|
 * | 001099012345 | Nguyễn Văn An: the simulated chip card's holder (simulators/card/lds-builder.ts SAMPLE_PERSON) | valid; his CMND 012345678 replaced |
 * | 079190001234 | Trần Thị Bích Ngọc | reported lost |
 * | 048202003456 | Lê Minh Khôi | revoked |
 * | 001082004321 | Vũ Quốc Huy | valid (to age 60); his CMND 011223344 replaced |
 * | 036301000888 | Đặng Thị Thu Hà | valid |
 * | 001218000111 | Nguyễn Gia Bảo, a child | no card yet |
 */

export type CardStatus = 'valid' | 'reported-lost' | 'replaced' | 'revoked';

export interface CitizenRelative {
  readonly fullName: string;
}

/** The population database's record of a person (field names as the packet manifest's applicant). */
export interface CitizenRecord {
  /** Số định danh cá nhân, 12 digits. */
  readonly personalId: string;
  /** NFC, with diacritics, as on the card. */
  readonly fullName: string;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly placeOfOrigin: string;
  readonly placeOfBirthRegistration: string;
  readonly placeOfResidence: string;
  readonly identifyingMarks: string;
  readonly father?: CitizenRelative;
  readonly mother?: CitizenRelative;
  readonly spouse?: CitizenRelative;
  /** When the record last changed, ISO 8601 UTC. */
  readonly updatedAt: string;
}

/** One status a card took, from `since` on. */
export interface CardStatusChange {
  readonly status: CardStatus;
  /** ISO 8601 UTC. */
  readonly since: string;
}

export interface CardRecord {
  /** 12 digits (CCCD / Căn cước: the personal ID) or 9 digits (an old CMND). */
  readonly cardNumber: string;
  readonly personalId: string;
  /** YYYY-MM-DD. */
  readonly issuedOn: string;
  /** YYYY-MM-DD; null for a card without expiry (issued at 60 or later). */
  readonly expiresOn: string | null;
  /** Oldest first; the first entry is `valid` from issue. */
  readonly history: readonly CardStatusChange[];
}

export interface PopulationData {
  readonly citizens: readonly CitizenRecord[];
  readonly cards: readonly CardRecord[];
}

const KINH_VN = { nationality: 'Việt Nam', ethnicity: 'Kinh' } as const;

export const SEED_POPULATION: PopulationData = {
  citizens: [
    {
      // Keep in step with simulators/card/lds-builder.ts SAMPLE_PERSON (its DG13); a test checks.
      personalId: '001099012345',
      fullName: 'Nguyễn Văn An',
      birthDate: '1999-01-01',
      sex: 'male',
      ...KINH_VN,
      religion: 'Không',
      placeOfOrigin: 'Hoàn Kiếm, Hà Nội',
      placeOfBirthRegistration: 'Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội',
      placeOfResidence: 'Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội',
      identifyingMarks: 'Nốt ruồi C:2cm dưới sau mép trái',
      father: { fullName: 'Nguyễn Văn Bình' },
      mother: { fullName: 'Trần Thị Cúc' },
      spouse: { fullName: 'Lê Thị Hương' },
      updatedAt: '2024-01-01T02:00:00.000Z',
    },
    {
      personalId: '079190001234',
      fullName: 'Trần Thị Bích Ngọc',
      birthDate: '1990-07-14',
      sex: 'female',
      ...KINH_VN,
      religion: 'Phật giáo',
      placeOfOrigin: 'Xã Tân Phú Trung, Huyện Củ Chi, Thành phố Hồ Chí Minh',
      placeOfBirthRegistration: 'Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh',
      placeOfResidence: 'Số 45 đường Nguyễn Trãi, Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh',
      identifyingMarks: 'Sẹo chấm C:1cm trên đuôi lông mày phải',
      father: { fullName: 'Trần Văn Phúc' },
      mother: { fullName: 'Hồ Thị Lệ' },
      updatedAt: '2025-09-20T03:15:00.000Z',
    },
    {
      personalId: '048202003456',
      fullName: 'Lê Minh Khôi',
      birthDate: '2002-05-09',
      sex: 'male',
      ...KINH_VN,
      religion: 'Công giáo',
      placeOfOrigin: 'Xã Hòa Phước, Huyện Hòa Vang, Đà Nẵng',
      placeOfBirthRegistration: 'Phường Hải Châu I, Quận Hải Châu, Đà Nẵng',
      placeOfResidence: 'Số 8 đường Bạch Đằng, Phường Hải Châu I, Quận Hải Châu, Đà Nẵng',
      identifyingMarks: 'Nốt ruồi C:1,5cm trên trước cánh mũi trái',
      father: { fullName: 'Lê Văn Tâm' },
      mother: { fullName: 'Phan Thị Mỹ' },
      updatedAt: '2025-03-03T08:30:00.000Z',
    },
    {
      personalId: '001082004321',
      fullName: 'Vũ Quốc Huy',
      birthDate: '1982-08-15',
      sex: 'male',
      ...KINH_VN,
      religion: 'Không',
      placeOfOrigin: 'Xã Liên Hà, Huyện Đông Anh, Hà Nội',
      placeOfBirthRegistration: 'Phường Điện Biên, Quận Ba Đình, Hà Nội',
      placeOfResidence: 'Số 17 phố Phan Đình Phùng, Phường Quán Thánh, Quận Ba Đình, Hà Nội',
      identifyingMarks: 'Sẹo C:2cm dưới cằm',
      father: { fullName: 'Vũ Đình Lâm' },
      mother: { fullName: 'Đỗ Thị Nga' },
      spouse: { fullName: 'Ngô Thị Thanh Xuân' },
      updatedAt: '2021-05-20T04:00:00.000Z',
    },
    {
      personalId: '036301000888',
      fullName: 'Đặng Thị Thu Hà',
      birthDate: '2001-12-24',
      sex: 'female',
      ...KINH_VN,
      religion: 'Không',
      placeOfOrigin: 'Xã Hải Hậu, Huyện Hải Hậu, Nam Định',
      placeOfBirthRegistration: 'Phường Vị Xuyên, Thành phố Nam Định, Nam Định',
      placeOfResidence: 'Số 3 đường Trần Hưng Đạo, Phường Vị Xuyên, Thành phố Nam Định, Nam Định',
      identifyingMarks: 'Nốt ruồi C:1cm dưới trước dái tai trái',
      father: { fullName: 'Đặng Văn Hùng' },
      mother: { fullName: 'Mai Thị Oanh' },
      updatedAt: '2024-07-01T01:45:00.000Z',
    },
    {
      personalId: '001218000111',
      fullName: 'Nguyễn Gia Bảo',
      birthDate: '2018-03-02',
      sex: 'male',
      ...KINH_VN,
      religion: 'Không',
      placeOfOrigin: 'Xã Cổ Loa, Huyện Đông Anh, Hà Nội',
      placeOfBirthRegistration: 'Phường Dịch Vọng, Quận Cầu Giấy, Hà Nội',
      placeOfResidence: 'Số 21 ngõ 165 Cầu Giấy, Phường Dịch Vọng, Quận Cầu Giấy, Hà Nội',
      identifyingMarks: '',
      father: { fullName: 'Nguyễn Văn Toàn' },
      mother: { fullName: 'Lý Thị Hoa' },
      updatedAt: '2018-03-20T02:00:00.000Z',
    },
  ],
  cards: [
    {
      cardNumber: '012345678',
      personalId: '001099012345',
      issuedOn: '2015-03-10',
      expiresOn: '2030-03-10',
      history: [
        { status: 'valid', since: '2015-03-10T00:00:00.000Z' },
        { status: 'replaced', since: '2024-01-01T00:00:00.000Z' },
      ],
    },
    {
      cardNumber: '001099012345',
      personalId: '001099012345',
      issuedOn: '2024-01-01',
      expiresOn: '2039-01-01',
      history: [{ status: 'valid', since: '2024-01-01T00:00:00.000Z' }],
    },
    {
      cardNumber: '079190001234',
      personalId: '079190001234',
      issuedOn: '2021-04-15',
      expiresOn: '2030-07-14',
      history: [
        { status: 'valid', since: '2021-04-15T00:00:00.000Z' },
        { status: 'reported-lost', since: '2025-09-20T03:15:00.000Z' },
      ],
    },
    {
      cardNumber: '048202003456',
      personalId: '048202003456',
      issuedOn: '2024-08-01',
      expiresOn: '2027-05-09',
      history: [
        { status: 'valid', since: '2024-08-01T00:00:00.000Z' },
        { status: 'revoked', since: '2025-03-03T08:30:00.000Z' },
      ],
    },
    {
      cardNumber: '011223344',
      personalId: '001082004321',
      issuedOn: '2005-06-01',
      expiresOn: '2020-06-01',
      history: [
        { status: 'valid', since: '2005-06-01T00:00:00.000Z' },
        { status: 'replaced', since: '2021-05-20T00:00:00.000Z' },
      ],
    },
    {
      cardNumber: '001082004321',
      personalId: '001082004321',
      issuedOn: '2021-05-20',
      expiresOn: '2042-08-15',
      history: [{ status: 'valid', since: '2021-05-20T00:00:00.000Z' }],
    },
    {
      cardNumber: '036301000888',
      personalId: '036301000888',
      issuedOn: '2024-07-01',
      expiresOn: '2026-12-24',
      history: [{ status: 'valid', since: '2024-07-01T00:00:00.000Z' }],
    },
  ],
};
