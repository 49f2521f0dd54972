/**
 * The citizen's receipt: the expected collection date in working days, the PDF's Vietnamese text as
 * pdftotext reads it back (every Vietnamese letter with its diacritics), and its QR code as a camera
 * would read it (the page rasterised by pdftoppm, decoded by the station's own QR reader).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeQrFrame } from '../../../station/qr/decode.ts';
import { renderEnrollmentReceipt } from '../../../station/reports/enrollment-receipt-pdf.ts';
import {
  expectedDate,
  type ReceiptData,
  vietnamDate,
} from '../../../station/workflows/enrollment/receipt.ts';

/** Every Vietnamese vowel in each of its six tones, and đ; lower and upper case. */
const VOWELS = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];
const TONES = ['', '\u0300', '\u0301', '\u0309', '\u0303', '\u0323'];
const LOWER = [...VOWELS.flatMap((v) => TONES.map((t) => `${v}${t}`.normalize('NFC'))), 'đ'];
const ALL_LETTERS = [...LOWER, ...LOWER.map((l) => l.toUpperCase())];

const at = (iso: string) => Date.parse(iso);

function receipt(overrides: Partial<ReceiptData> = {}): ReceiptData {
  return {
    format: 1,
    enrollmentId: '0b5e7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b',
    packetId: '7d3f2a10-9c8b-4a6e-b5d4-3c2b1a0f9e8d',
    type: 'first-issue',
    fullName: 'Nguyễn Thị Ánh Tuyết',
    personalId: '001199012345',
    birthDate: '1999-04-30',
    submittedAt: '2026-12-07T03:00:00.000Z',
    expectedFrom: '2026-12-16',
    stationId: 'HCM-Q1-03',
    officerId: 'officer-7',
    exceptions: [],
    ...overrides,
  };
}

function withTemp<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'receipt-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A binary PGM (P5, maxval 255) as a grey frame. */
function readPgm(bytes: Buffer): { format: 'grey'; width: number; height: number; data: Uint8Array } {
  const header = bytes.subarray(0, 64).toString('latin1');
  const match = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(header);
  if (match === null) throw new Error('not a binary PGM');
  const [whole, w, h, max] = match;
  if (max !== '255') throw new Error(`PGM maxval ${max}`);
  const width = Number(w);
  const height = Number(h);
  const start = (whole as string).length;
  return {
    format: 'grey',
    width,
    height,
    data: new Uint8Array(bytes.subarray(start, start + width * height)),
  };
}

describe('expected collection date', () => {
  it('counts working days after the submission day, skipping weekends and the given holidays', () => {
    // Monday 7 December 2026, 10:00 in Vietnam: seven working days later is Wednesday the 16th.
    expect(expectedDate(at('2026-12-07T03:00:00Z'))).toBe('2026-12-16');
    // Friday afternoon: the weekend is skipped; one working day is the Monday.
    expect(expectedDate(at('2026-12-11T09:00:00Z'), { workingDays: 1 })).toBe('2026-12-14');
    // The date is Vietnam's: 23:30 UTC on Sunday is already Monday 06:30 in Hà Nội.
    expect(vietnamDate(at('2026-12-06T23:30:00Z'))).toBe('2026-12-07');
    expect(expectedDate(at('2026-12-06T23:30:00Z'), { workingDays: 1 })).toBe('2026-12-08');
    // A holiday on a working day is skipped (Tết days given by the station's calendar).
    expect(
      expectedDate(at('2027-02-04T03:00:00Z'), {
        workingDays: 3,
        holidays: ['2027-02-05', '2027-02-08', '2027-02-09'],
      }),
    ).toBe('2027-02-12');
    expect(expectedDate(at('2026-12-07T03:00:00Z'), { workingDays: 0 })).toBe('2026-12-07');
  });

  it('refuses a day count or holiday it cannot use', () => {
    expect(() => expectedDate(0, { workingDays: -1 })).toThrow(RangeError);
    expect(() => expectedDate(0, { workingDays: 2.5 })).toThrow(RangeError);
    expect(() => expectedDate(0, { holidays: ['5/2/2027'] })).toThrow(RangeError);
  });
});

describe('receipt PDF', () => {
  it('pdftotext finds the name, every Vietnamese letter with its diacritics, the dates and the packet id', async () => {
    const name = ALL_LETTERS.join('');
    const pdf = await renderEnrollmentReceipt(
      receipt({ fullName: name, exceptions: [{ position: 7, reason: 'amputated' }] }),
    );
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const text = withTemp((dir) => {
      const file = path.join(dir, 'r.pdf');
      writeFileSync(file, pdf);
      return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).normalize('NFC');
    });
    const flat = text.replace(/\s+/g, '');
    expect(flat).toContain(name);
    for (const letter of ALL_LETTERS) expect(text).toContain(letter);
    expect(text).toContain('Giấy hẹn trả thẻ căn cước');
    expect(text).toContain('16/12/2026');
    expect(text).toContain('30/04/1999');
    expect(text).toContain('001199012345');
    expect(text).toContain('7d3f2a10-9c8b-4a6e-b5d4-3c2b1a0f9e8d');
    expect(text).toContain('cụt ngón');
    // The embedded font is a subset of DejaVu Sans, not a font the viewer must have.
    const fonts = withTemp((dir) => {
      const file = path.join(dir, 'r.pdf');
      writeFileSync(file, pdf);
      return execFileSync('pdffonts', [file], { encoding: 'utf8' });
    });
    expect(fonts).toMatch(/DejaVuSans.*yes\s+yes/);
  });

  it('its QR code, printed and read back as a camera frame, gives the packet id', async () => {
    const packetId = '3e9c1b7a-5d2f-4c8e-a1b0-9f8e7d6c5b4a';
    const pdf = await renderEnrollmentReceipt(receipt({ packetId }));
    const frame = withTemp((dir) => {
      const file = path.join(dir, 'r.pdf');
      writeFileSync(file, pdf);
      execFileSync('pdftoppm', ['-r', '100', '-gray', '-singlefile', file, path.join(dir, 'page')]);
      return readPgm(readFileSync(path.join(dir, 'page.pgm')));
    });
    const read = decodeQrFrame(frame);
    expect(read).toMatchObject({ ok: true, text: packetId });
  });
});
