/**
 * `station qr parse 'TEXT'`: reads the text of a CCCD's QR code (protocol/cccd/qr.ts) and prints
 * the fields, every per-field error, the personal-ID check and the card expiry the law gives
 * (protocol/cccd/expiry.ts), as JSON. What a technician uses to see why a scanned QR is refused.
 *
 * `station qr scan --in frame.jpg`: finds the QR code in a photo or camera frame (in this process,
 * no station needed) and prints its text, fields and the chip's access key; `station qr scan
 * --device ID` waits for a running station's 2D barcode scanner to read one.
 */

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseIsoDate } from '../../../protocol/cccd/date.ts';
import { deriveCardExpiry } from '../../../protocol/cccd/expiry.ts';
import { parseCccdQr } from '../../../protocol/cccd/qr.ts';
import { validityOfDerivedExpiry } from '../../../protocol/cccd/validity.ts';
import { localToday } from '../../clock.ts';
import { DEFAULT_IMAGE_LIMITS, decodeRgb } from '../../imaging/sharp-images.ts';
import {
  type CardQrAnswer,
  DEFAULT_SCAN_TIMEOUT_MS,
  frameAnswer,
  MAX_QR_IMAGE_BYTES,
  MAX_SCAN_TIMEOUT_MS,
} from '../../plugins/qr.ts';
import { decodeQrFrame, MAX_FRAME_SIDE } from '../../qr/decode.ts';
import {
  type CliIo,
  type Command,
  EXIT_FAILED,
  EXIT_OK,
  json,
  parse,
  positiveInteger,
  UsageError,
} from '../command.ts';
import { resolveStationUrl, unreachable } from '../station-url.ts';

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

const SCAN_HELP = `Usage: station qr scan --in IMAGE [--today YYYY-MM-DD] [--expiry YYMMDD]
       station qr scan --device ID [--timeout MS] [--expiry YYMMDD] [--url URL]

  --in IMAGE           a JPEG or PNG photo or camera frame of the card's front (at most 16 MiB,
                       8192 px a side); decoded here, no station needed
  --today YYYY-MM-DD   (with --in) the date the QR is checked against (default: today, local time)
  --device ID          wait for the 2D barcode scanner ID of a running station (e.g. 'barcode', see
                       'station scanner list --url' or GET /devices) to read a code
  --timeout MS         (with --device) longest wait for a scan (default ${DEFAULT_SCAN_TIMEOUT_MS}, at most ${MAX_SCAN_TIMEOUT_MS})
  --expiry YYMMDD      the expiry printed on the card, when the QR does not give it
  --url URL            (with --device) the running station (default: $STATION_URL, else where the
                       configuration file as npm start finds it makes the station listen)

Prints JSON:
  ok            whether the chip's access key came out
  code, message when not: QR_NO_CODE or QR_UNREADABLE (nothing readable in the image), QR_INVALID
                (not a CCCD code), EXPIRY_UNKNOWN (give --expiry); message is { vi, en }
  text          the code's text
  qr            ok, layout, fields, errors, personalId: as 'station qr parse' prints them
  key           { id12, dateOfBirth, dateOfExpiry } (YYMMDD): the chip's BAC / PACE-MRZ key
  expiryFrom, expiry, validity   where the key's expiry came from, and the card's validity
  symbol, decodeMs               (--in) the code's corners in pixels, QR version, decoder pass; ms
  device, receivedAt             (--device) the scanner and when the code was read
Exit 0 when a key came out, 1 when not (the JSON is printed either way) or on failure.`;

/** Prints a scan answer; exit 0 when it carries a key. */
function report(io: CliIo, answer: CardQrAnswer & Record<string, unknown>): number {
  io.stdout(json(answer));
  if (answer.ok) return EXIT_OK;
  io.stderr(`no chip key: ${answer.code ?? 'unknown'}: ${answer.message?.en ?? ''}\n`);
  return EXIT_FAILED;
}

async function scanImage(
  io: CliIo,
  file: string,
  options: { today: string; dateOfExpiry?: string },
): Promise<number> {
  const absolute = path.resolve(io.cwd, file);
  let bytes: Uint8Array;
  try {
    const length = statSync(absolute).size;
    if (length > MAX_QR_IMAGE_BYTES) {
      io.stderr(`${absolute} is ${length} bytes; at most ${MAX_QR_IMAGE_BYTES} bytes are read\n`);
      return EXIT_FAILED;
    }
    bytes = new Uint8Array(readFileSync(absolute));
  } catch (error) {
    io.stderr(`cannot read ${absolute}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
  const image = await decodeRgb(bytes, { ...DEFAULT_IMAGE_LIMITS, maxBytes: MAX_QR_IMAGE_BYTES });
  if (!image.ok) {
    io.stderr(`${absolute}: ${image.error.code}: ${image.error.message}\n`);
    return EXIT_FAILED;
  }
  const { width, height } = image.value;
  if (width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE) {
    io.stderr(`${absolute} is ${width}x${height} px; at most ${MAX_FRAME_SIDE} px a side are decoded\n`);
    return EXIT_FAILED;
  }
  // One image, then the process ends: decoding here on the main thread blocks nobody.
  return report(io, { file: absolute, width, height, ...frameAnswer(decodeQrFrame(image.value), options) });
}

async function scanDevice(
  io: CliIo,
  device: string,
  options: { url: string | undefined; timeoutMs: number; dateOfExpiry?: string },
): Promise<number> {
  const station = resolveStationUrl(options.url, io.env, io.cwd);
  const target = `${station.base}/devices/${encodeURIComponent(device)}/scan`;
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        timeoutMs: options.timeoutMs,
        ...(options.dateOfExpiry === undefined ? {} : { dateOfExpiry: options.dateOfExpiry }),
      }),
      // The station answers by the scan's own timeout; this only guards against a station that hangs.
      signal: AbortSignal.timeout(options.timeoutMs + 10_000),
    });
  } catch (error) {
    io.stderr(`${unreachable(station, error)}\n`);
    return EXIT_FAILED;
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const body = JSON.parse(text) as {
        error?: { code?: string; message?: string; officer?: { en?: string } };
      };
      if (body.error) message = `${body.error.code}: ${body.error.message}`;
    } catch {
      // Not JSON: show the text as it is.
    }
    io.stderr(`POST ${target} answered HTTP ${response.status}: ${message}\n`);
    return EXIT_FAILED;
  }
  return report(io, JSON.parse(text) as CardQrAnswer & Record<string, unknown>);
}

const scanCommand = (now: () => Date): Command => ({
  name: 'scan',
  summary: "Read a CCCD QR code from an image, or from a running station's barcode scanner",
  help: SCAN_HELP,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        device: { type: 'string' },
        today: { type: 'string' },
        expiry: { type: 'string' },
        timeout: { type: 'string' },
        url: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if ((values.in === undefined) === (values.device === undefined))
      throw new UsageError('give exactly one of --in IMAGE or --device ID');
    const dateOfExpiry = values.expiry;
    if (dateOfExpiry !== undefined && !/^\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(dateOfExpiry))
      throw new UsageError(`--expiry must be the card's expiry as YYMMDD, got '${dateOfExpiry}'`);
    const expiry = dateOfExpiry === undefined ? {} : { dateOfExpiry };
    if (values.in !== undefined) {
      if (values.timeout !== undefined || values.url !== undefined)
        throw new UsageError('--timeout and --url go with --device, not --in');
      const today = values.today ?? localToday(now().getTime());
      if (parseIsoDate(today) === undefined)
        throw new UsageError(`--today must be a calendar date YYYY-MM-DD, got '${today}'`);
      return scanImage(io, values.in, { today, ...expiry });
    }
    if (values.today !== undefined)
      throw new UsageError('--today goes with --in; a station checks a scan against its own date');
    const timeoutMs = positiveInteger('timeout', values.timeout) ?? DEFAULT_SCAN_TIMEOUT_MS;
    if (timeoutMs > MAX_SCAN_TIMEOUT_MS)
      throw new UsageError(`--timeout is at most ${MAX_SCAN_TIMEOUT_MS} ms, got ${timeoutMs}`);
    return scanDevice(io, values.device ?? '', { url: values.url, timeoutMs, ...expiry });
  },
});

/** The `qr` group with a clock (tests pass a fixed one). */
export function makeQrCommand(now: () => Date = () => new Date()): Command {
  return {
    name: 'qr',
    summary: 'Read the QR code of a chip ID card (CCCD): fields, ID check, expiry',
    help: `Usage: station qr parse 'TEXT' [--today YYYY-MM-DD]
       station qr scan --in IMAGE | --device ID [--expiry YYMMDD]

The QR code on the front of a CCCD holds ID|old ID|name|birth ddMMyyyy|sex|address|issue ddMMyyyy
(docs/cccd.md). 'scan' reads it from a photo or from a 2D barcode scanner and derives the chip's key.`,
    subcommands: [parseCommand(now), scanCommand(now)],
  };
}

export const qrCommand: Command = makeQrCommand();
