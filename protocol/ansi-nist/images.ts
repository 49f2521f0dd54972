/**
 * The images a transaction carries, for checking them against what a packet's manifest lists
 * (protocol/packet). Pure; the bytes are views into the transaction, never copies.
 *
 * An image-bearing record is every binary record (Types 3-8: fingerprint images, Type-7's
 * user-defined image, Type-8's signature image; §8.3-§8.8) and every tagged record with a binary
 * .999 field (Type-10 face, Type-13 latent, Type-14 fingers and slaps, Type-15 palm, Type-17 iris,
 * ...; §8.10-§8.22). Counting every record that carries binary data, not only the types our
 * profile builds, means nothing can ride in a transaction without the manifest listing it.
 *
 * Finger position: Types 3-6 4.004 FGP (first of the six bytes), Types 13, 14 and 15 field .013
 * (FGP / PLP, first item). Other types have none.
 */
import type { DecodeResult } from '../result.ts';
import { BINARY_FIELD_NUMBER, type Transaction } from './model.ts';
import { fieldText, readTransaction } from './reader.ts';

export interface TransactionImage {
  /** The record's type (from 1.003 CNT for a binary record). */
  readonly recordType: number;
  /** The record's IDC (.002). */
  readonly idc: number;
  /** Index of the record in the transaction (Type-1 is 0). */
  readonly recordIndex: number;
  /** Finger or palm position (FGP/PLP), for Types 3-6 and 13-15. */
  readonly position?: number;
  /** The image bytes as the record carries them (a view into the transaction). */
  readonly data: Uint8Array;
}

/** Tagged types whose field .013 is the first finger (FGP) or palm (PLP) position. */
const POSITION_FIELD_TYPES: ReadonlySet<number> = new Set([13, 14, 15]);

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,3}$/.test(text) ? Number(text) : undefined;
}

/** The image-bearing records of a parsed transaction, in transaction order. Never throws. */
export function transactionImages(transaction: Transaction): TransactionImage[] {
  const images: TransactionImage[] = [];
  for (const [recordIndex, record] of transaction.records.entries()) {
    if (record.encoding === 'binary') {
      const idc = record.fields[1]?.values[0] ?? 0;
      const fgp = record.type <= 6 ? record.fields[3]?.values[0] : undefined;
      images.push({
        recordType: record.type,
        idc,
        recordIndex,
        ...(fgp === undefined ? {} : { position: fgp }),
        data: record.data,
      });
      continue;
    }
    const binary = record.fields.find((f) => f.kind === 'binary' && f.number === BINARY_FIELD_NUMBER);
    if (binary?.kind !== 'binary') continue;
    const position = POSITION_FIELD_TYPES.has(record.type) ? decimal(fieldText(record, 13)) : undefined;
    images.push({
      recordType: record.type,
      idc: decimal(fieldText(record, 2)) ?? 0,
      recordIndex,
      ...(position === undefined ? {} : { position }),
      data: binary.data,
    });
  }
  return images;
}

/**
 * Parses a transaction and returns its image-bearing records (above).
 * @returns the images, or readTransaction's error result (`truncated`, `invalid-value`,
 *   `too-large`, `unsupported`, `trailing-data`, with the offset). Never throws.
 */
export function readTransactionImages(bytes: Uint8Array): DecodeResult<TransactionImage[]> {
  const transaction = readTransaction(bytes);
  return transaction.ok ? { ok: true, value: transactionImages(transaction.value) } : transaction;
}
