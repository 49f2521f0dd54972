/**
 * The expiry of a CCCD / Căn cước card derived from the holder's date of birth and the card's date
 * of issue, when the card itself cannot be read for it (the QR code has no expiry; the BAC key
 * needs it).
 *
 * The rule (docs/cccd.md has the sources):
 * - Law on Identification 26/2023/QH15 (Luật Căn cước), art. 21, in force 1 July 2024: a card must
 *   be renewed when the holder reaches 14, 25, 40 and 60. A card issued, renewed or replaced in the
 *   2 years before one of those ages stays valid until the next of them.
 * - Before that, Law on Citizen Identification 59/2014/QH13 (Luật Căn cước công dân), art. 21, in
 *   force 1 January 2016: the same with the ages 25, 40 and 60 only; cards were issued from age 14
 *   (art. 19), so no card issued before 1 July 2024 belongs to a child under 14.
 * - There is no renewal age after 60, so a card issued from age 58 on (60 minus the 2-year window)
 *   does not expire ("Không thời hạn").
 *
 * So the expiry is the birthday at the first renewal age A for which the card was issued before
 * the birthday at A − 2. Choices where the law's words leave room (docs/cccd.md):
 * - "Within the 2 years before age A" starts on the birthday at A − 2 itself: a card issued on the
 *   23rd birthday runs to 40, one issued the day before to 25.
 * - A card issued on a renewal birthday is a card of that age: issued on the 25th birthday, it runs
 *   to 40.
 * - A 29 February birthday falls on 28 February in common years (Civil Code 91/2015/QH13 art. 148
 *   §3 ends a period counted in months on the last day of the month when the day does not exist;
 *   we apply it to years too, and it never makes a card look valid longer than it is).
 *
 * Pure; the caller supplies the dates. Never throws.
 */
import { birthdayAt, isoToYymmdd, parseIsoDate } from './date.ts';
import type { OfficerMessage } from './text.ts';

/** Law 26/2023/QH15 applies to cards issued on or after this day. */
export const LAW_2023_IN_FORCE = '2024-07-01';
/** Law 59/2014/QH13, the first CCCD law, applies from this day; earlier cards are not CCCDs. */
export const LAW_2014_IN_FORCE = '2016-01-01';

export type RenewalAge = 14 | 25 | 40 | 60;

/** Renewal ages by law (art. 21 of each). */
export const RENEWAL_AGES: Readonly<Record<CccdLaw, readonly RenewalAge[]>> = {
  '59/2014/QH13': [25, 40, 60],
  '26/2023/QH15': [14, 25, 40, 60],
};

/** A card issued this many years or less before a renewal age is valid until the next one. */
export const RENEWAL_GRACE_YEARS = 2;

export type CccdLaw = '59/2014/QH13' | '26/2023/QH15';

export type ExpiryUnknownReason =
  /** Missing, or not a yyyy-mm-dd calendar date in 1900–2399 (the years a personal ID can encode). */
  | 'invalid-date-of-birth'
  /** Missing, or not a yyyy-mm-dd calendar date. */
  | 'invalid-date-of-issue'
  | 'issued-before-birth'
  /** Before 1 January 2016: not a CCCD (an older CMND has other rules). */
  | 'issued-before-2016'
  /** Before 1 July 2024 to a child under 14: the 2014 law did not issue such cards. */
  | 'issued-under-14-before-2024';

export type CardExpiry =
  | {
      readonly kind: 'date';
      /** yyyy-mm-dd: the birthday at `renewalAge`. */
      readonly date: string;
      /** The same date as YYMMDD, the form of the MRZ and the BAC key. */
      readonly yymmdd: string;
      readonly renewalAge: RenewalAge;
      readonly law: CccdLaw;
    }
  | { readonly kind: 'no-expiry'; readonly law: CccdLaw }
  | {
      readonly kind: 'unknown';
      readonly reason: ExpiryUnknownReason;
      /** What to tell the officer, who must then read the expiry from the card. */
      readonly message: OfficerMessage;
    };

const ASK_OFFICER: OfficerMessage = {
  vi: 'Không tính được ngày hết hạn của thẻ: nhập ngày hết hạn in trên mặt trước thẻ.',
  en: "The card's expiry cannot be derived: enter the expiry date printed on the front of the card.",
};

function unknown(reason: ExpiryUnknownReason, vi: string, en: string): CardExpiry {
  return {
    kind: 'unknown',
    reason,
    message: { vi: `${vi} ${ASK_OFFICER.vi}`, en: `${en} ${ASK_OFFICER.en}` },
  };
}

/**
 * The expiry the law gives a card issued on `dateOfIssue` to someone born on `dateOfBirth` (both
 * yyyy-mm-dd; undefined when not known).
 *
 * Returns `{ kind: 'date' }` with the date and its YYMMDD form, `{ kind: 'no-expiry' }` for a card
 * issued from age 58 on, or `{ kind: 'unknown', reason, message }` when the inputs cannot be a
 * CCCD's. On 'unknown' the UI must not guess: it shows `message` and asks the officer to type the
 * expiry printed on the card. The result is what the law prescribes, not what a given card
 * prints: a card reissued for another reason (a changed name, a lost card) has its own issue date,
 * which is the one to pass. Never throws.
 */
export function deriveCardExpiry(
  dateOfBirth: string | undefined,
  dateOfIssue: string | undefined,
): CardExpiry {
  const birth = dateOfBirth === undefined ? undefined : parseIsoDate(dateOfBirth);
  if (birth === undefined || birth < '1900-01-01' || birth > '2399-12-31')
    return unknown(
      'invalid-date-of-birth',
      `Ngày sinh '${dateOfBirth ?? ''}' không hợp lệ.`,
      `The date of birth '${dateOfBirth ?? ''}' is not valid.`,
    );
  const issue = dateOfIssue === undefined ? undefined : parseIsoDate(dateOfIssue);
  if (issue === undefined)
    return unknown(
      'invalid-date-of-issue',
      `Ngày cấp '${dateOfIssue ?? ''}' không hợp lệ.`,
      `The date of issue '${dateOfIssue ?? ''}' is not valid.`,
    );
  if (issue < birth)
    return unknown(
      'issued-before-birth',
      `Ngày cấp ${issue} trước ngày sinh ${birth}.`,
      `The date of issue ${issue} is before the date of birth ${birth}.`,
    );
  if (issue < LAW_2014_IN_FORCE)
    return unknown(
      'issued-before-2016',
      `Ngày cấp ${issue} trước khi có thẻ căn cước công dân (01/01/2016).`,
      `The date of issue ${issue} is before CCCD cards existed (2016-01-01).`,
    );
  const law: CccdLaw = issue < LAW_2023_IN_FORCE ? '59/2014/QH13' : '26/2023/QH15';
  if (law === '59/2014/QH13' && issue < birthdayAt(birth, 14))
    return unknown(
      'issued-under-14-before-2024',
      `Thẻ cấp ngày ${issue} cho người chưa đủ 14 tuổi, trước 01/07/2024: luật khi đó không cấp thẻ như vậy.`,
      `A card issued on ${issue}, before 2024-07-01, to a child under 14: the law then issued no such card.`,
    );
  for (const age of RENEWAL_AGES[law]) {
    if (issue < birthdayAt(birth, age - RENEWAL_GRACE_YEARS)) {
      const date = birthdayAt(birth, age);
      return { kind: 'date', date, yymmdd: isoToYymmdd(date), renewalAge: age, law };
    }
  }
  return { kind: 'no-expiry', law };
}

/**
 * The YYMMDD expiry for the BAC key, or undefined when the derivation gave none: for 'no-expiry'
 * the MRZ's expiry field on such cards is not verified, and for 'unknown' the officer must supply
 * it. Never throws.
 */
export function expiryYymmdd(expiry: CardExpiry): string | undefined {
  return expiry.kind === 'date' ? expiry.yymmdd : undefined;
}
