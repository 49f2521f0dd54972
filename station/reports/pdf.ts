/**
 * A small, reusable PDF writer for the station's printed documents (the verification report here;
 * the enrollment receipt next): pdfkit with DejaVu Sans embedded (TrueType from the
 * `dejavu-fonts-ttf` package, which covers every Vietnamese letter with its diacritics, precomposed
 * in Unicode's Latin Extended Additional block), subset by pdfkit to the glyphs used. Text is
 * written NFC-normalised so each letter is one glyph and `pdftotext` gives it back as typed.
 *
 * Use: `const doc = new StationPdf({ title })`, then `heading`, `paragraph`, `field`, `rule`,
 * `small`, `qr`, and `await doc.finish()` for the bytes. Metadata dates come from the caller (no clock).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import qrcode from 'qrcode-generator';

const require = createRequire(import.meta.url);
const fontDir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

/** The embedded fonts' files (regular and bold). */
export const PDF_FONTS = {
  regular: path.join(fontDir, 'DejaVuSans.ttf'),
  bold: path.join(fontDir, 'DejaVuSans-Bold.ttf'),
} as const;

export interface StationPdfOptions {
  readonly title: string;
  readonly subject?: string;
  /** The document's creation time, ms since the epoch (the caller's clock). */
  readonly createdAt: number;
}

/** A4 portrait, 50 pt margins, the station's fonts. */
export class StationPdf {
  readonly #doc: PDFKit.PDFDocument;
  readonly #chunks: Uint8Array[] = [];
  readonly #done: Promise<Uint8Array>;

  constructor(options: StationPdfOptions) {
    this.#doc = new PDFDocument({
      size: 'A4',
      margin: 50,
      info: {
        Title: options.title.normalize('NFC'),
        ...(options.subject === undefined ? {} : { Subject: options.subject.normalize('NFC') }),
        Creator: 'CCCD station',
        CreationDate: new Date(options.createdAt),
      },
    });
    this.#doc.registerFont('regular', PDF_FONTS.regular);
    this.#doc.registerFont('bold', PDF_FONTS.bold);
    this.#doc.font('regular');
    this.#done = new Promise((resolve, reject) => {
      this.#doc.on('data', (chunk: Uint8Array) => this.#chunks.push(chunk));
      this.#doc.on('end', () => resolve(new Uint8Array(Buffer.concat(this.#chunks))));
      this.#doc.on('error', reject);
    });
  }

  heading(text: string, size = 16): this {
    this.#doc.font('bold').fontSize(size).text(text.normalize('NFC')).moveDown(0.4).font('regular');
    return this;
  }

  paragraph(text: string, size = 10): this {
    this.#doc.font('regular').fontSize(size).text(text.normalize('NFC')).moveDown(0.4);
    return this;
  }

  /** A label in bold and its value on the same line. */
  field(label: string, value: string, size = 10): this {
    this.#doc
      .fontSize(size)
      .font('bold')
      .text(`${label.normalize('NFC')}: `, { continued: true })
      .font('regular')
      .text(value.normalize('NFC'));
    return this;
  }

  small(text: string): this {
    this.#doc.font('regular').fontSize(7).text(text.normalize('NFC')).moveDown(0.3);
    return this;
  }

  rule(): this {
    const y = this.#doc.y + 2;
    this.#doc.moveTo(50, y).lineTo(545, y).lineWidth(0.5).stroke().moveDown(0.6);
    return this;
  }

  /**
   * A QR code of `text` (byte mode, error correction M, the smallest version that holds it), drawn
   * as vector squares `size` points wide with the standard four-module quiet zone, at the current
   * position on the left margin; the text continues below it.
   */
  qr(text: string, size = 120): this {
    const code = qrcode(0, 'M');
    code.addData(text, 'Byte');
    code.make();
    const modules = code.getModuleCount();
    const cell = size / (modules + 8);
    const left = 50 + 4 * cell;
    const top = this.#doc.y + 4 * cell;
    this.#doc.save().fillColor('black');
    for (let row = 0; row < modules; row++)
      for (let col = 0; col < modules; col++)
        if (code.isDark(row, col)) this.#doc.rect(left + col * cell, top + row * cell, cell, cell);
    this.#doc.fill().restore();
    this.#doc.x = 50;
    this.#doc.y = top + (modules + 4) * cell;
    return this;
  }

  /** Ends the document and resolves its bytes. */
  finish(): Promise<Uint8Array> {
    this.#doc.end();
    return this.#done;
  }
}
