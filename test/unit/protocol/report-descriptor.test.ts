import { describe, expect, it } from 'vitest';
import { reportSizes } from '../../../protocol/hid/report-descriptor.ts';
import { unwrap } from '../../../protocol/result.ts';

// A vendor-defined descriptor of the kind FPSCAN devices declare (README section 2): usage page
// 0xFF00, one input and one output report of 1024 bytes, no report ID. Report Count 1024 needs the
// two-byte form 0x96 0x00 0x04.
const FPSCAN_1024 = Uint8Array.of(
  0x06,
  0x00,
  0xff, // Usage Page (vendor 0xFF00)
  0x09,
  0x01, // Usage 1
  0xa1,
  0x01, // Collection (application)
  0x15,
  0x00,
  0x26,
  0xff,
  0x00, // Logical min 0, max 255
  0x75,
  0x08, // Report Size 8
  0x96,
  0x00,
  0x04, // Report Count 1024
  0x09,
  0x20,
  0x81,
  0x02, // Usage, Input (data, var, abs)
  0x09,
  0x21,
  0x91,
  0x02, // Usage, Output
  0xc0, // End collection
);

describe('HID report descriptor', () => {
  it('reads 1024-byte input and output reports without a report ID', () => {
    const sizes = unwrap(reportSizes(FPSCAN_1024));
    expect(sizes.input.get(0)).toBe(1024);
    expect(sizes.output.get(0)).toBe(1024);
  });

  it('keeps reports apart by report ID and honours Push/Pop', () => {
    const d = Uint8Array.of(
      0x85,
      0x01,
      0x75,
      0x08,
      0x95,
      0x40,
      0x81,
      0x02,
      0xa4,
      0x85,
      0x02,
      0x95,
      0x10,
      0x81,
      0x02,
      0xb4,
      0x91,
      0x02,
    );
    const sizes = unwrap(reportSizes(d));
    expect(sizes.input.get(1)).toBe(64);
    expect(sizes.input.get(2)).toBe(16);
    expect(sizes.output.get(1)).toBe(64);
  });

  it('rejects truncated items, long items and a Pop without a Push', () => {
    expect(reportSizes(Uint8Array.of(0x96, 0x00))).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 0 },
    });
    expect(reportSizes(Uint8Array.of(0xfe, 0x02, 0x00))).toMatchObject({
      ok: false,
      error: { reason: 'unsupported' },
    });
    expect(reportSizes(Uint8Array.of(0xb4))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  });
});
