/**
 * From a scanned or photographed CCCD QR code to the chip's access key: the glue between the QR
 * readers (camera frames through decode.ts / pool.ts, 2D barcode scanners through
 * drivers/barcode) and the existing parser and key derivation (station/cards/read-card.ts).
 */

import { cardKeyFromQr, type QrKeyResult } from '../cards/read-card.ts';
import { localToday, systemClock } from '../clock.ts';

export interface ReadCardQrOptions {
  /** Today's date, YYYY-MM-DD (default: the station's local date). */
  readonly today?: string;
  /** The expiry printed on the card, YYMMDD, when the officer typed it. */
  readonly dateOfExpiry?: string;
}

/**
 * The chip access key from the QR text. Scanners add line ends and some send a byte-order mark;
 * those are removed before parsing. Never throws for bad text: returns QrKeyResult with
 * ok: false (QR_INVALID or EXPIRY_UNKNOWN) and the officer-facing message.
 */
export function readCardQr(text: string, options: ReadCardQrOptions = {}): QrKeyResult {
  const cleaned = text.replace(/^\uFEFF/, '').replace(/[\r\n\t]+$/, '');
  const today = options.today ?? localToday(systemClock.now());
  return cardKeyFromQr(
    cleaned,
    options.dateOfExpiry === undefined ? { today } : { today, dateOfExpiry: options.dateOfExpiry },
  );
}
