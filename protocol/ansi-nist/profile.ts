/**
 * The Vietnamese application profile (PROFILE.md): the domain named in 1.013 DOM, the transaction
 * types of 1.004 TOT, and the user-defined Type-2 demographic fields, one declaration read by the
 * builder and by `readDemographics`.
 */
import { type DecodeResult, fail, ok } from '../result.ts';
import type { TaggedRecord } from './model.ts';
import { fieldText } from './reader.ts';

/** 1.013 DOM: domain name (DNM) and version (DVN) of our profile. */
export const VN_DOMAIN = Object.freeze({ name: 'VN-CCCD', version: '1.0' });

/** 1.004 TOT codes of the profile, by enrollment type. */
export const VN_TOT = Object.freeze({
  firstIssue: 'CCE',
  renewal: 'CCR',
  reissueAfterLoss: 'CCL',
  correction: 'CCC',
});

/** The applicant as the CCCD carries it. Text is Unicode; the builder stores it NFC. */
export interface Demographics {
  /** Số định danh cá nhân: 12 digits. */
  readonly personalId: string;
  readonly fullName: string;
  /** YYYYMMDD; MM and DD may be 00 when only the year (or year and month) is known. */
  readonly dateOfBirth: string;
  readonly sex: 'M' | 'F';
  /** ISO 3166-1 alpha-3, e.g. VNM. */
  readonly nationality: string;
  readonly ethnicity?: string;
  readonly religion?: string;
  readonly placeOfOrigin?: string;
  readonly placeOfBirthRegistration?: string;
  readonly placeOfResidence?: string;
  readonly identifyingMarks?: string;
  readonly father?: string;
  readonly mother?: string;
  readonly spouse?: string;
  /** The former 9- or 12-digit identity card number (CMND), when the applicant had one. */
  readonly formerIdNumber?: string;
}

export interface Type2FieldSpec {
  readonly number: number;
  readonly mnemonic: string;
  readonly key: keyof Demographics;
  readonly required: boolean;
  /** Most characters (Unicode code points, after NFC). */
  readonly max: number;
  /** The whole value must match (ASCII fields); text fields only refuse separators. */
  readonly pattern?: RegExp;
}

const DATE_OF_BIRTH = /^\d{4}(0[0-9]|1[0-2])([0-2]\d|3[01])$/;

/** Type-2 user-defined fields of the profile, in field-number order (2.001 LEN and 2.002 IDC come first). */
export const VN_TYPE2_FIELDS: readonly Type2FieldSpec[] = [
  { number: 3, mnemonic: 'PID', key: 'personalId', required: true, max: 12, pattern: /^\d{12}$/ },
  { number: 4, mnemonic: 'NAM', key: 'fullName', required: true, max: 100 },
  { number: 5, mnemonic: 'DOB', key: 'dateOfBirth', required: true, max: 8, pattern: DATE_OF_BIRTH },
  { number: 6, mnemonic: 'SEX', key: 'sex', required: true, max: 1, pattern: /^[MF]$/ },
  { number: 7, mnemonic: 'NAT', key: 'nationality', required: true, max: 3, pattern: /^[A-Z]{3}$/ },
  { number: 8, mnemonic: 'ETH', key: 'ethnicity', required: false, max: 50 },
  { number: 9, mnemonic: 'REL', key: 'religion', required: false, max: 50 },
  { number: 10, mnemonic: 'POO', key: 'placeOfOrigin', required: false, max: 200 },
  { number: 11, mnemonic: 'POB', key: 'placeOfBirthRegistration', required: false, max: 200 },
  { number: 12, mnemonic: 'POR', key: 'placeOfResidence', required: false, max: 200 },
  { number: 13, mnemonic: 'IDM', key: 'identifyingMarks', required: false, max: 200 },
  { number: 14, mnemonic: 'FTH', key: 'father', required: false, max: 100 },
  { number: 15, mnemonic: 'MTH', key: 'mother', required: false, max: 100 },
  { number: 16, mnemonic: 'SPO', key: 'spouse', required: false, max: 100 },
  {
    number: 17,
    mnemonic: 'OID',
    key: 'formerIdNumber',
    required: false,
    max: 12,
    pattern: /^(\d{9}|\d{12})$/,
  },
];

/** Why a demographic value is refused, or undefined when it is fine (value already NFC). */
export function checkType2Value(spec: Type2FieldSpec, value: string): string | undefined {
  const length = [...value].length;
  if (length === 0) return `${spec.mnemonic} is empty`;
  if (length > spec.max) return `${spec.mnemonic} has ${length} characters; at most ${spec.max}`;
  if (spec.pattern !== undefined && !spec.pattern.test(value))
    return `${spec.mnemonic} '${value}' does not have the profile's format`;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return `${spec.mnemonic} holds a control character`;
  }
  if (value !== value.normalize('NFC')) return `${spec.mnemonic} is not in Unicode NFC`;
  return undefined;
}

/**
 * The demographics of a Type-2 record written under our profile.
 * @returns `invalid-value` (offset 0: the record has no byte offsets) naming the first field that
 *   is missing or breaks the profile's format.
 */
export function readDemographics(record: TaggedRecord): DecodeResult<Demographics> {
  if (record.type !== 2) return fail('invalid-value', 0, `Type-${record.type} is not a Type-2 record`);
  const out: Record<string, string> = {};
  for (const spec of VN_TYPE2_FIELDS) {
    const value = fieldText(record, spec.number);
    if (value === undefined) {
      if (spec.required)
        return fail(
          'invalid-value',
          0,
          `2.${String(spec.number).padStart(3, '0')} ${spec.mnemonic} is missing`,
        );
      continue;
    }
    const problem = checkType2Value(spec, value);
    if (problem !== undefined)
      return fail('invalid-value', 0, `2.${String(spec.number).padStart(3, '0')}: ${problem}`);
    out[spec.key] = value;
  }
  return ok(out as unknown as Demographics);
}
