/**
 * PdfRenderer: documents are made on a worker thread (the real worker renders a real receipt), one
 * at a time from a bounded queue; a hung or crashed worker fails its document with a typed error and
 * the next document gets a new worker; close fails what waits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PdfDocumentRequest } from '../../../station/reports/pdf-worker.ts';
import { PdfRenderer } from '../../../station/reports/renderer.ts';

const STAND_IN = new URL('../../support/pdf-test-worker.mjs', import.meta.url);
const fake = (kind: string) => ({ kind }) as unknown as PdfDocumentRequest;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

let renderer: PdfRenderer | undefined;
afterEach(async () => {
  await renderer?.close();
  renderer = undefined;
});

describe('PdfRenderer', () => {
  it('renders a real receipt on the worker thread', async () => {
    renderer = new PdfRenderer();
    const pdf = await renderer.render({
      kind: 'enrollment-receipt',
      data: {
        format: 1,
        enrollmentId: '0b5e7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b',
        packetId: '7d3f2a10-9c8b-4a6e-b5d4-3c2b1a0f9e8d',
        type: 'renewal',
        fullName: 'Trần Đức Lưỡng',
        personalId: '079085001234',
        birthDate: '1985-01-02',
        submittedAt: '2026-12-07T03:00:00.000Z',
        expectedFrom: '2026-12-16',
        stationId: 'HCM-Q1-03',
        officerId: 'officer-7',
        exceptions: [],
      },
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'pdf-renderer-'));
    try {
      writeFileSync(path.join(dir, 'r.pdf'), pdf);
      const extracted = execFileSync('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'r.pdf'), '-'], {
        encoding: 'utf8',
      });
      expect(extracted.normalize('NFC')).toContain('Trần Đức Lưỡng');
      expect(extracted).toContain('Cấp đổi / Renewal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes documents one at a time in order, and refuses past its queue bound at once', async () => {
    renderer = new PdfRenderer({ workerUrl: STAND_IN, maxQueued: 2 });
    const a = renderer.render(fake('a'));
    const b = renderer.render(fake('b'));
    await expect(renderer.render(fake('c'))).rejects.toMatchObject({ code: 'PDF_QUEUE_FULL' });
    expect(text(await a)).toBe('pdf:a');
    expect(text(await b)).toBe('pdf:b');
    expect(text(await renderer.render(fake('d')))).toBe('pdf:d');
  });

  it('a hung document times out and a crashed worker fails its document; the next gets a new worker', async () => {
    renderer = new PdfRenderer({ workerUrl: STAND_IN, hardLimitMs: 300 });
    await expect(renderer.render(fake('hang'))).rejects.toMatchObject({ code: 'PDF_TIMEOUT' });
    expect(text(await renderer.render(fake('after-hang')))).toBe('pdf:after-hang');
    await expect(renderer.render(fake('crash'))).rejects.toMatchObject({ code: 'PDF_WORKER_CRASHED' });
    expect(text(await renderer.render(fake('after-crash')))).toBe('pdf:after-crash');
  });

  it('close fails the running and waiting documents, and refuses new ones', async () => {
    renderer = new PdfRenderer({ workerUrl: STAND_IN });
    // Settled into values at once: close rejects them before the assertions below look.
    const running = renderer.render(fake('hang')).catch((error: unknown) => error);
    const waiting = renderer.render(fake('x')).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await renderer.close();
    expect(await running).toMatchObject({ name: 'PdfRendererError', code: 'PDF_CLOSED' });
    expect(await waiting).toMatchObject({ name: 'PdfRendererError', code: 'PDF_CLOSED' });
    await expect(renderer.render(fake('y'))).rejects.toMatchObject({ code: 'PDF_CLOSED' });
  });
});
