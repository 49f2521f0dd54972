/**
 * Bounds the reader declares. Nothing in a transaction is allocated from a length it states before
 * that length is checked against the input; binary data stay views into the input, so reading holds
 * at most the input plus its text values (one string and one array per item, items counted below).
 */

/** Largest transaction read, bytes. A full ten-print plus face and iris is a few MB. */
export const MAX_TRANSACTION_BYTES = 256 * 1024 * 1024;
/** Largest record (its LEN), bytes. */
export const MAX_RECORD_BYTES = MAX_TRANSACTION_BYTES;
/** Most records after Type-1 that 1.003 CNT may list. */
export const MAX_RECORDS = 10_000;
/** Most information items in the whole transaction (bounds the text model's memory). */
export const MAX_ITEMS = 1_000_000;
/** Digits of a tagged record's LEN value (10 digits reach 9,999,999,999 > MAX_RECORD_BYTES). */
export const MAX_LEN_DIGITS = 10;
/** Digits of a tag: record type 1-2, field number 1-9 (§7.1: `RT.FFF`, FFF at least 3 since 2007). */
export const MAX_TYPE_DIGITS = 2;
export const MAX_FIELD_DIGITS = 9;
/** Versions (1.002 VER) read: 0200 (ANSI/NIST-CSL 1-1993) to 0502 (ANSI/NIST-ITL 1-2011 Update 2015). */
export const MIN_VERSION = 200;
export const MAX_VERSION = 502;
