/**
 * The images of one of our transactions in record order (Type-10, 13, 14, 15, 17 ... image data,
 * field .999; binary Types 3-8 image data), as the manifest lists them: what `openPacket` hashes
 * against `capture.images[i].sha256`.
 */
import { readTransaction } from '../../protocol/ansi-nist/index.ts';
import { type DecodeResult, ok } from '../../protocol/result.ts';

/** @returns the reader's error result for a transaction that does not decode. */
export function transactionImages(transaction: Uint8Array): DecodeResult<readonly Uint8Array[]> {
  const read = readTransaction(transaction);
  if (!read.ok) return read;
  const images: Uint8Array[] = [];
  for (const record of read.value.records) {
    if (record.encoding === 'tagged') {
      for (const field of record.fields) if (field.kind === 'binary') images.push(field.data);
    } else images.push(record.data);
  }
  return ok(images);
}
