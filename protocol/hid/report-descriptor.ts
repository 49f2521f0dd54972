/**
 * Report sizes from a USB HID report descriptor (Device Class Definition for HID 1.11, section
 * 6.2.2): short items are a prefix byte (bSize in bits 0-1 as 0/1/2/4 data bytes, bType in bits
 * 2-3, bTag in bits 4-7) and their data, little-endian. Report Size (global, tag 0x75 with its size
 * bits masked off) and Report Count (0x95) apply to each following Input (0x81) / Output (0x91) main
 * item; Report ID (0x85) starts a new report. Push/Pop (0xA4/0xB4) save and restore the globals.
 */

import { type DecodeResult, fail, ok } from '../result.ts';

export interface ReportSizes {
  /** Input report length in bytes per report ID (0 when the device uses no report IDs). */
  readonly input: ReadonlyMap<number, number>;
  readonly output: ReadonlyMap<number, number>;
}

/** Descriptors are short in practice; a bound keeps a hostile one from costing much. */
export const MAX_DESCRIPTOR = 4096;

/**
 * Parses a report descriptor and returns the input and output report sizes in bytes.
 * Returns `truncated` if an item's data runs past the end, `too-large` above MAX_DESCRIPTOR bytes,
 * `unsupported` for long items (prefix 0xFE), `invalid-value` for a Pop without a Push.
 */
export function reportSizes(descriptor: Uint8Array): DecodeResult<ReportSizes> {
  if (descriptor.length > MAX_DESCRIPTOR)
    return fail('too-large', MAX_DESCRIPTOR, `descriptor of ${descriptor.length} bytes`);
  const input = new Map<number, number>();
  const output = new Map<number, number>();
  let size = 0;
  let count = 0;
  let id = 0;
  const stack: [number, number, number][] = [];
  let at = 0;
  while (at < descriptor.length) {
    const prefix = descriptor[at] ?? 0;
    if (prefix === 0xfe) return fail('unsupported', at, 'long items are not supported');
    const length = [0, 1, 2, 4][prefix & 3] ?? 0;
    if (at + 1 + length > descriptor.length)
      return fail('truncated', at, `item 0x${prefix.toString(16)} needs ${length} data bytes`);
    let value = 0;
    for (let k = 0; k < length; k++) value |= (descriptor[at + 1 + k] ?? 0) << (8 * k);
    value >>>= 0;
    const tag = prefix & 0xfc;
    if (tag === 0x74) size = value;
    else if (tag === 0x94) count = value;
    else if (tag === 0x84) id = value;
    else if (tag === 0xa4) stack.push([size, count, id]);
    else if (tag === 0xb4) {
      const saved = stack.pop();
      if (!saved) return fail('invalid-value', at, 'Pop without Push');
      [size, count, id] = saved;
    } else if (tag === 0x80 || tag === 0x90) {
      const map = tag === 0x80 ? input : output;
      map.set(id, (map.get(id) ?? 0) + size * count);
    }
    at += 1 + length;
  }
  const toBytes = (map: Map<number, number>) =>
    new Map([...map].map(([k, bits]) => [k, Math.ceil(bits / 8)]));
  return ok({ input: toBytes(input), output: toBytes(output) });
}
