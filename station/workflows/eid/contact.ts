/**
 * The contact details of an e-ID level-2 registration, checked and normalised one by one, with the
 * officer's message in Vietnamese and English. Pure: no I/O, no clock.
 *
 * Mobile numbers: Vietnam's mobile numbers are 10 digits starting 03, 05, 07, 08 or 09 since the
 * 2018 renumbering of 11-digit subscriber numbers. Written forms people give are accepted and
 * normalised to the 10-digit national form: spaces, dots, dashes and brackets are dropped, and the
 * country code (+84, 0084 or 84 before 9 digits) becomes the leading 0.
 *
 * E-mail: the common "dot-atom" form of RFC 5322 §3.4.1 in ASCII (a quoted local part or an
 * internationalised address is refused with a message saying so), at most 64 characters before
 * the @ and 254 in all (RFC 5321 §4.5.3.1); the domain has two or more labels of letters, digits and
 * inner hyphens, a top-level label of letters, and is lower-cased. Whether the mailbox exists is
 * for the account service to prove (it sends a code); this only keeps typing mistakes out.
 */

export interface ContactMessage {
  readonly vi: string;
  readonly en: string;
}

export type ContactCheck =
  | { readonly ok: true; readonly value: string }
  | {
      readonly ok: false;
      readonly code: 'PHONE_INVALID' | 'EMAIL_INVALID';
      readonly message: ContactMessage;
    };

/** Mobile prefixes in use after the 2018 renumbering (the digit after the leading 0). */
const MOBILE_SECOND_DIGITS = new Set(['3', '5', '7', '8', '9']);

/** A Vietnamese mobile number in the national 10-digit form (0XXXXXXXXX), or why not. */
export function normaliseMobile(input: string): ContactCheck {
  const refused = (why: ContactMessage): ContactCheck => ({ ok: false, code: 'PHONE_INVALID', message: why });
  const compact = input.normalize('NFKC').replace(/[\s.()-]/g, '');
  let national: string;
  if (/^\+84\d+$/.test(compact)) national = `0${compact.slice(3)}`;
  else if (/^0084\d+$/.test(compact)) national = `0${compact.slice(4)}`;
  else if (/^84\d{9}$/.test(compact)) national = `0${compact.slice(2)}`;
  else national = compact;
  if (!/^\d+$/.test(national))
    return refused({
      vi: 'Số điện thoại chỉ gồm chữ số (có thể bắt đầu bằng +84).',
      en: 'A phone number is digits only (it may start with +84).',
    });
  // Landlines are 11 digits starting 02 (area code): say so rather than "wrong length".
  if (national.startsWith('02'))
    return refused({
      vi: 'Đây là số cố định; cần số di động (bắt đầu bằng 03, 05, 07, 08 hoặc 09).',
      en: 'This is a landline number; a mobile number is needed (starting 03, 05, 07, 08 or 09).',
    });
  if (national.length !== 10 || !national.startsWith('0'))
    return refused({
      vi: `Số di động gồm 10 chữ số, bắt đầu bằng 0 (đã nhập ${national.length} chữ số).`,
      en: `A mobile number has 10 digits starting with 0 (${national.length} digits given).`,
    });
  if (!MOBILE_SECOND_DIGITS.has(national[1] ?? ''))
    return refused({
      vi: 'Số di động bắt đầu bằng 03, 05, 07, 08 hoặc 09.',
      en: 'A mobile number starts with 03, 05, 07, 08 or 09.',
    });
  return { ok: true, value: national };
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An e-mail address checked and normalised (trimmed, domain lower-case), or why not. */
export function normaliseEmail(input: string): ContactCheck {
  const refused = (why: ContactMessage): ContactCheck => ({ ok: false, code: 'EMAIL_INVALID', message: why });
  const value = input.trim();
  const generic = {
    vi: 'Địa chỉ email không hợp lệ: kiểm tra lại (dạng ten@mien.vn).',
    en: 'The e-mail address is not valid: check it (like name@domain.vn).',
  };
  // Printable ASCII only: accents and control characters are refused alike.
  if (/[^ -~]/.test(value))
    return refused({
      vi: 'Địa chỉ email chỉ dùng chữ không dấu, chữ số và ký hiệu; không dùng địa chỉ có dấu.',
      en: 'The e-mail address must be in ASCII letters, digits and symbols; addresses with accents are not taken.',
    });
  if (value.length > 254) return refused(generic);
  const at = value.lastIndexOf('@');
  if (at <= 0 || at !== value.indexOf('@')) return refused(generic);
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).toLowerCase();
  if (local.length > 64 || !local.split('.').every((atom) => ATEXT.test(atom))) return refused(generic);
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return refused(generic);
  if (!/^[a-z]{2,63}$/.test(labels[labels.length - 1] ?? '')) return refused(generic);
  return { ok: true, value: `${local}@${domain}` };
}
