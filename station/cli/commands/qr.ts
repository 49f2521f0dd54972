/**
 * `station qr parse 'TEXT'`: reads the text of a CCCD's QR code (protocol/cccd/qr.ts) and prints
 * the fields, every per-field error, the personal-ID check and the card expiry the law gives
 * (protocol/cccd/expiry.ts), as JSON. What a technician uses to see why a scanned QR is refused.
 */

import { parseIsoDate } from '../../../protocol/cccd/date.ts';
import { deriveCardExpiry } from '../../../protocol/cccd/expiry.ts';
import { parseCccdQr } from '../../../protocol/cccd/qr.ts';
import { validityOfDerivedExpiry } from '../../../protocol/cccd/validity.ts';
import { localToday } from '../../clock.ts';
import { type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

/** The station's local calendar date, yyyy-mm-dd. */
const parseCommand = (now: () => Date): Command => ({
  name: 'parse',
  summary: 'Parse the text of a CCCD QR code and check it',
  help: `Usage: station qr parse 'TEXT' [--today YYYY-MM-DD]

  TEXT                 the QR code's text, e.g.
                       '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Hà Nội|01012024'
                       (quote it: it contains '|'); NFC or NFD, 6 or 7 fields
  --today YYYY-MM-DD   the date dates are checked against (default: today, local time)

Prints JSON:
  ok, layout    whether nothing is wrong; which reading of the fields was used
  fields        id, oldId, fullName, dateOfBirth, sex, address, dateOfIssue (those that parsed)
  errors        one { field, code, message: { vi, en } } per problem
  personalId    the 12-digit ID's province, sex and birth year, and each rule it breaks
  expiry        the expiry the law gives this card: { kind: 'date', date, yymmdd, renewalAge },
                { kind: 'no-expiry' }, or { kind: 'unknown', reason, message }: then read the
                expiry printed on the card
  validity      that expiry against --today, as 'card read' and POST /cards/read report it:
                { kind: in-date | no-expiry | expired | unknown, valid (true, false, or null when
                unknown), dateOfExpiry, today, from: 'qr', message: { vi, en } }
Exit 0 when the QR text has no errors, 1 when it has some (the JSON is printed either way).`,
  async run(args, io) {
    const { values, positionals } = parse(args, { today: { type: 'string' } }, { min: 1, max: 1 });
    const today = values.today ?? localToday(now().getTime());
    if (parseIsoDate(today) === undefined)
      throw new UsageError(`--today must be a calendar date YYYY-MM-DD, got '${today}'`);
    const qr = parseCccdQr(positionals[0] ?? '', { today });
    const { ok, layout, parts, errors, personalId, ...fields } = qr;
    const expiry = deriveCardExpiry(qr.dateOfBirth, qr.dateOfIssue);
    io.stdout(
      json({
        today,
        ok,
        layout,
        parts,
        fields,
        errors,
        personalId: personalId ?? null,
        expiry,
        validity: validityOfDerivedExpiry(expiry, today),
      }),
    );
    if (ok) return EXIT_OK;
    io.stderr(
      `the QR text has ${errors.length} problem(s): ${errors.map((e) => `${e.field} ${e.code}`).join(', ')}\n`,
    );
    return EXIT_FAILED;
  },
});

/** The `qr` group with a clock (tests pass a fixed one). */
export function makeQrCommand(now: () => Date = () => new Date()): Command {
  return {
    name: 'qr',
    summary: 'Read the QR code of a chip ID card (CCCD): fields, ID check, expiry',
    help: `Usage: station qr parse 'TEXT' [--today YYYY-MM-DD]

The QR code on the front of a CCCD holds ID|old ID|name|birth ddMMyyyy|sex|address|issue ddMMyyyy
(docs/cccd.md).`,
    subcommands: [parseCommand(now)],
  };
}

export const qrCommand: Command = makeQrCommand();
