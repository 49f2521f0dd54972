/**
 * The applicant's demographics as the officer types them (or as a renewal prefills them), checked
 * field by field with the officer's message in Vietnamese and English.
 *
 * What is checked, and why:
 * - The 12-digit personal ID's structure (protocol/cccd/personal-id.ts): the province of birth
 *   registration, and digit 4 (century and sex) and digits 5-6 (year of birth) against the date of
 *   birth and sex typed beside it. A mistyped digit there is the commonest data error at the desk.
 * - Names in Unicode NFC: Vietnamese can be typed precomposed or with combining marks (the same
 *   "ệ" as one code point or three); the card, the population database and every later comparison
 *   need one form, so the text is normalised here and the stored value is NFC. Names hold letters,
 *   spaces, and the apostrophe and hyphen some ethnic-minority names use.
 * - Dates: calendar dates, not in the future.
 * - The age rules on the capture date (Law on Identity 2023, Art. 23; our manifest's rule,
 *   protocol/packet/manifest.ts): under 6 the application goes through the online public-service
 *   portal and no biometrics are taken, so the desk does not enrol them; from 6 to 13 a legal
 *   representative's identity and consent are required; from 6 the face and fingerprints are taken
 *   (the iris too where an iris device is configured: none is yet).
 * - Required fields per enrollment type: a renewal names the card it renews, a re-issue after loss
 *   the card that was lost (when known), a correction which fields change and on what document.
 */
import { validatePersonalId } from '../../../protocol/cccd/personal-id.ts';
import {
  type Applicant,
  ageInYears,
  type EnrollmentType,
  MIN_ENROLLMENT_AGE,
  parseCalendarDate,
  REPRESENTATIVE_REQUIRED_BELOW_AGE,
  type Sex,
  vietnamDateOf,
} from '../../../protocol/packet/manifest.ts';

/** A message for the officer, in both languages. */
export interface Bilingual {
  readonly vi: string;
  readonly en: string;
}

/** One field's problem: a JSON pointer into the demographics, a stable code, the message. */
export interface FieldProblem {
  readonly field: string;
  readonly code: string;
  readonly message: Bilingual;
}

/** What the officer submits; strings as typed (normalised here). */
export interface DemographicsInput {
  readonly personalId: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly nationality?: string;
  readonly nationalityCode?: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly placeOfOrigin: string;
  readonly placeOfBirthRegistration: string;
  readonly placeOfResidence: string;
  readonly identifyingMarks?: string;
  readonly father?: { readonly fullName: string; readonly personalId?: string };
  readonly mother?: { readonly fullName: string; readonly personalId?: string };
  readonly spouse?: { readonly fullName: string; readonly personalId?: string };
  readonly legalRepresentative?: {
    readonly personalId: string;
    readonly fullName: string;
    readonly relationship: 'father' | 'mother' | 'guardian';
    readonly consentGiven: boolean;
  };
  /** Renewal: the card being renewed; re-issue after loss: the lost card, when known. */
  readonly previousCardNumber?: string;
  /** The former 9-digit CMND number, when the applicant had one. */
  readonly formerIdNumber?: string;
  /** Correction: the fields that change and the document that supports the change. */
  readonly correction?: { readonly fields: readonly string[]; readonly document: string };
}

/** The demographics once checked: NFC text, the applicant as the manifest carries them. */
export interface Demographics {
  readonly applicant: Applicant;
  readonly nationalityCode: string;
  readonly previousCardNumber?: string;
  readonly formerIdNumber?: string;
  readonly correction?: { readonly fields: readonly string[]; readonly document: string };
  /** Age in whole years on the capture date. */
  readonly age: number;
  /** What the capture must include at this age. */
  readonly biometrics: { readonly face: boolean; readonly fingers: boolean; readonly iris: boolean };
}

export type DemographicsCheck =
  | { readonly ok: true; readonly value: Demographics }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

/** Longest name accepted, characters (the population database's field is 100). */
const MAX_NAME = 100;
/** Longest free-text field (addresses), characters. */
const MAX_TEXT = 300;
/** Fields a correction may name. */
export const CORRECTABLE_FIELDS = [
  'fullName',
  'birthDate',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'placeOfOrigin',
  'placeOfBirthRegistration',
  'placeOfResidence',
  'identifyingMarks',
] as const;

// Letters in any script (Vietnamese precomposed letters are \p{L}; combining marks \p{M}), spaces,
// apostrophes and hyphens, and nothing else.
const NAME = /^[\p{L}\p{M}]+(?:[ '’-][\p{L}\p{M}]+)*$/u;
const CARD_NUMBER = /^[0-9]{12}$/;
const CMND = /^[0-9]{9}$/;

/**
 * Checks and normalises the demographics for an enrollment of `type` captured on `capturedAt`
 * (ISO 8601 with offset; the age is reckoned on Vietnam's calendar date of it).
 */
export function checkDemographics(
  input: DemographicsInput,
  type: EnrollmentType,
  capturedAt: string,
): DemographicsCheck {
  const problems: FieldProblem[] = [];
  const add = (field: string, code: string, vi: string, en: string) =>
    problems.push({ field, code, message: { vi, en } });
  const text = (field: string, value: string | undefined, required: boolean, max = MAX_TEXT): string => {
    const normal = (value ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
    if (required && normal === '')
      add(`/${field}`, 'REQUIRED', 'Chưa nhập thông tin này.', 'This field is required.');
    else if (normal.length > max)
      add(`/${field}`, 'TOO_LONG', `Dài quá ${max} ký tự.`, `Longer than ${max} characters.`);
    return normal;
  };
  const name = (field: string, value: string | undefined, required: boolean): string => {
    const normal = text(field, value, required, MAX_NAME);
    if (normal !== '' && !NAME.test(normal))
      add(
        `/${field}`,
        'NAME_CHARACTERS',
        'Họ tên chỉ gồm chữ cái, dấu cách, dấu nháy hoặc gạch nối.',
        'A name holds letters, spaces, apostrophes and hyphens only.',
      );
    return normal;
  };

  const fullName = name('fullName', input.fullName, true);
  const birth = parseCalendarDate(input.birthDate);
  const captured = vietnamDateOf(capturedAt);
  let age = -1;
  if (birth === undefined)
    add(
      '/birthDate',
      'DATE_INVALID',
      'Ngày sinh không hợp lệ (YYYY-MM-DD).',
      'Not a calendar date (YYYY-MM-DD).',
    );
  else if (captured !== undefined) {
    age = ageInYears(birth, captured);
    if (age < 0)
      add('/birthDate', 'DATE_FUTURE', 'Ngày sinh ở tương lai.', 'The date of birth is in the future.');
    else if (age < MIN_ENROLLMENT_AGE)
      add(
        '/birthDate',
        'AGE_UNDER_6',
        `Trẻ dưới ${MIN_ENROLLMENT_AGE} tuổi làm thủ tục qua Cổng dịch vụ công, không thu nhận sinh trắc học tại quầy.`,
        `Under ${MIN_ENROLLMENT_AGE}: the application goes through the online public-service portal; no biometrics are taken at the desk.`,
      );
  }
  if (input.sex !== 'male' && input.sex !== 'female')
    add('/sex', 'SEX_INVALID', 'Giới tính là Nam hoặc Nữ.', "Sex is 'male' or 'female'.");

  const personalId = (input.personalId ?? '').trim();
  const idCheck = validatePersonalId(personalId, {
    ...(input.sex === 'male' ? { sex: 'M' as const } : input.sex === 'female' ? { sex: 'F' as const } : {}),
    ...(birth === undefined ? {} : { dateOfBirth: input.birthDate }),
  });
  for (const failure of idCheck.failures)
    problems.push({
      field: '/personalId',
      code: `ID_${failure.code.toUpperCase().replaceAll('-', '_')}`,
      message: failure.message,
    });

  const nationality = text('nationality', input.nationality ?? 'Việt Nam', true, MAX_NAME);
  const nationalityCode = (input.nationalityCode ?? 'VNM').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(nationalityCode))
    add(
      '/nationalityCode',
      'NATIONALITY_CODE',
      'Mã quốc tịch gồm 3 chữ cái (ISO 3166-1).',
      'Three letters (ISO 3166-1 alpha-3).',
    );
  const ethnicity = text('ethnicity', input.ethnicity, true, MAX_NAME);
  const religion = text('religion', input.religion, true, MAX_NAME);
  const placeOfOrigin = text('placeOfOrigin', input.placeOfOrigin, true);
  const placeOfBirthRegistration = text('placeOfBirthRegistration', input.placeOfBirthRegistration, true);
  const placeOfResidence = text('placeOfResidence', input.placeOfResidence, true);
  const identifyingMarks = text('identifyingMarks', input.identifyingMarks, false);

  const relative = (field: 'father' | 'mother' | 'spouse') => {
    const value = input[field];
    if (value === undefined) return undefined;
    const relativeName = name(`${field}/fullName`, value.fullName, true);
    if (value.personalId !== undefined && !CARD_NUMBER.test(value.personalId))
      add(
        `/${field}/personalId`,
        'ID_NOT_12_DIGITS',
        'Số định danh gồm 12 chữ số.',
        'A personal ID is 12 digits.',
      );
    return {
      fullName: relativeName,
      ...(value.personalId === undefined ? {} : { personalId: value.personalId }),
    };
  };
  const father = relative('father');
  const mother = relative('mother');
  const spouse = relative('spouse');

  let legalRepresentative: Applicant['legalRepresentative'];
  if (age >= MIN_ENROLLMENT_AGE && age < REPRESENTATIVE_REQUIRED_BELOW_AGE) {
    const rep = input.legalRepresentative;
    if (rep === undefined)
      add(
        '/legalRepresentative',
        'REPRESENTATIVE_REQUIRED',
        `Người từ ${MIN_ENROLLMENT_AGE} đến dưới ${REPRESENTATIVE_REQUIRED_BELOW_AGE} tuổi cần người đại diện hợp pháp.`,
        `From ${MIN_ENROLLMENT_AGE} to ${REPRESENTATIVE_REQUIRED_BELOW_AGE - 1} a legal representative is required.`,
      );
    else {
      const repName = name('legalRepresentative/fullName', rep.fullName, true);
      if (!CARD_NUMBER.test(rep.personalId ?? ''))
        add(
          '/legalRepresentative/personalId',
          'ID_NOT_12_DIGITS',
          'Số định danh gồm 12 chữ số.',
          'A personal ID is 12 digits.',
        );
      if (!['father', 'mother', 'guardian'].includes(rep.relationship))
        add(
          '/legalRepresentative/relationship',
          'RELATIONSHIP',
          'Quan hệ: cha, mẹ hoặc người giám hộ.',
          "Relationship: 'father', 'mother' or 'guardian'.",
        );
      if (rep.consentGiven !== true)
        add(
          '/legalRepresentative/consentGiven',
          'CONSENT_REQUIRED',
          'Người đại diện chưa đồng ý.',
          'The representative has not consented.',
        );
      legalRepresentative = {
        personalId: rep.personalId,
        fullName: repName,
        relationship: rep.relationship,
        consent: { given: true, at: capturedAt },
      };
    }
  }

  const previousCardNumber = input.previousCardNumber?.trim();
  if (type === 'renewal' && previousCardNumber === undefined)
    add(
      '/previousCardNumber',
      'REQUIRED',
      'Cấp đổi: nhập số thẻ cũ.',
      'Renewal: the old card number is required.',
    );
  if (previousCardNumber !== undefined && !CARD_NUMBER.test(previousCardNumber))
    add('/previousCardNumber', 'CARD_NUMBER', 'Số thẻ gồm 12 chữ số.', 'A card number is 12 digits.');
  const formerIdNumber = input.formerIdNumber?.trim();
  if (formerIdNumber !== undefined && formerIdNumber !== '' && !CMND.test(formerIdNumber))
    add('/formerIdNumber', 'CMND_NUMBER', 'Số CMND gồm 9 chữ số.', 'A former CMND number is 9 digits.');

  let correction: Demographics['correction'];
  if (type === 'correction') {
    const fields = input.correction?.fields ?? [];
    if (fields.length === 0)
      add(
        '/correction/fields',
        'REQUIRED',
        'Điều chỉnh: chọn thông tin cần sửa.',
        'Correction: name the fields that change.',
      );
    for (const [i, field] of fields.entries())
      if (!(CORRECTABLE_FIELDS as readonly string[]).includes(field))
        add(
          `/correction/fields/${i}`,
          'FIELD_UNKNOWN',
          'Không phải thông tin có thể điều chỉnh.',
          `Not a correctable field: ${CORRECTABLE_FIELDS.join(', ')}.`,
        );
    const document = text('correction/document', input.correction?.document, true);
    correction = { fields: [...new Set(fields)], document };
  }

  if (problems.length > 0) return { ok: false, problems };
  const applicant: Applicant = {
    personalId,
    fullName,
    birthDate: input.birthDate,
    sex: input.sex,
    nationality,
    ethnicity,
    religion,
    placeOfOrigin,
    placeOfBirthRegistration,
    placeOfResidence,
    identifyingMarks,
    ...(father === undefined ? {} : { father }),
    ...(mother === undefined ? {} : { mother }),
    ...(spouse === undefined ? {} : { spouse }),
    ...(legalRepresentative === undefined ? {} : { legalRepresentative }),
  };
  return {
    ok: true,
    value: {
      applicant,
      nationalityCode,
      ...(previousCardNumber === undefined ? {} : { previousCardNumber }),
      ...(formerIdNumber === undefined || formerIdNumber === '' ? {} : { formerIdNumber }),
      ...(correction === undefined ? {} : { correction }),
      age,
      biometrics: { face: true, fingers: true, iris: false },
    },
  };
}

/** Field by field, what a prefill (the old card, the population record) says and what was typed. */
export function differences(
  typed: Applicant,
  recorded: Partial<Applicant>,
): { readonly field: string; readonly typed: string; readonly recorded: string }[] {
  const out: { field: string; typed: string; recorded: string }[] = [];
  for (const field of CORRECTABLE_FIELDS) {
    const a = typed[field];
    const b = recorded[field];
    if (b === undefined || typeof a !== 'string' || typeof b !== 'string') continue;
    if (a.normalize('NFC') !== b.normalize('NFC')) out.push({ field, typed: a, recorded: b });
  }
  return out;
}
