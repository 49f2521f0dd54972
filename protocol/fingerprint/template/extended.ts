/**
 * The blocks of a finger view's extended data area (ISO/IEC 19794-2:2005 and INCITS 378-2004):
 *
 * | field | bytes | notes |
 * |---|---|---|
 * | block type | 2 | 0x0001 ridge counts, 0x0002 cores and deltas, ISO 0x0003 zonal quality, 0x01xx-0xffxx vendor |
 * | block length | 2 | see below |
 * | block data | n | |
 *
 * INCITS 378-2004 counts the 4 header bytes in the block length; so do NIST's readers for both
 * formats (biomdi, libbiomeval). The sample record printed in ISO/IEC 19794-2:2005 only tiles its
 * extended area when the length counts the data alone, which is how some ISO readers (FingerprintIO,
 * for one) take it. The records keep the area opaque (fmr.ts), so either reading round-trips; this
 * reader tries the header-inclusive reading first and, for ISO, the data-only one second, and says
 * which one tiled the area.
 */
import { type DecodeResult, fail, ok } from '../../result.ts';
import type { RecordFormat } from './model.ts';

export interface ExtendedBlock {
  /** Block type code. */
  readonly type: number;
  /** Offset of the block's header in the area, bytes. */
  readonly offset: number;
  /** The block's data, after its 4-byte header (a view into the area). */
  readonly data: Uint8Array;
}

export interface ExtendedBlocks {
  /** Whether the block lengths count their 4 header bytes (INCITS 378; NIST's reading of ISO). */
  readonly lengthIncludesHeader: boolean;
  readonly blocks: readonly ExtendedBlock[];
}

const BLOCK_HEADER = 4;

function tile(area: Uint8Array, includesHeader: boolean): DecodeResult<ExtendedBlock[]> {
  const blocks: ExtendedBlock[] = [];
  let at = 0;
  while (at < area.length) {
    if (at + BLOCK_HEADER > area.length)
      return fail('truncated', at, `the extended data area ends inside a block header at ${at}`);
    const type = ((area[at] ?? 0) << 8) | (area[at + 1] ?? 0);
    const stated = ((area[at + 2] ?? 0) << 8) | (area[at + 3] ?? 0);
    if (type === 0) return fail('invalid-value', at, 'extended data block type 0x0000 is reserved');
    const dataLength = includesHeader ? stated - BLOCK_HEADER : stated;
    if (dataLength < 0)
      return fail('invalid-value', at + 2, `extended data block length ${stated} is shorter than its header`);
    const end = at + BLOCK_HEADER + dataLength;
    if (end > area.length)
      return fail('truncated', at + 2, `extended data block length ${stated} runs past the area's end`);
    blocks.push({ type, offset: at, data: area.subarray(at + BLOCK_HEADER, end) });
    at = end;
  }
  return ok(blocks);
}

/**
 * The blocks of an extended data area read from a record of `format`.
 * @returns the blocks and the length reading that tiled the area exactly, or the header-inclusive
 *   reading's error (`truncated`, `invalid-value`, offsets into the area). Never throws.
 */
export function readExtendedBlocks(area: Uint8Array, format: RecordFormat): DecodeResult<ExtendedBlocks> {
  const inclusive = tile(area, true);
  if (inclusive.ok) return ok({ lengthIncludesHeader: true, blocks: inclusive.value });
  if (format === 'iso19794-2:2005') {
    const dataOnly = tile(area, false);
    if (dataOnly.ok) return ok({ lengthIncludesHeader: false, blocks: dataOnly.value });
  }
  return inclusive;
}
