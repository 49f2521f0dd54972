/**
 * The PDF worker thread: renders one document per message, so pdfkit's font subsetting and layout
 * (about 150 ms a page on a 2-core machine) never run on the event loop. Started by renderer.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { ReceiptData } from '../workflows/enrollment/receipt.ts';
import { renderEnrollmentReceipt } from './enrollment-receipt-pdf.ts';
import { renderVerificationPdf } from './verification-pdf.ts';
import type { VerificationReport } from './verification-report.ts';

export type PdfDocumentRequest =
  | { readonly kind: 'enrollment-receipt'; readonly data: ReceiptData }
  | { readonly kind: 'verification-report'; readonly data: VerificationReport };

export interface PdfWorkerRequest {
  readonly id: number;
  readonly document: PdfDocumentRequest;
}

export type PdfWorkerReply =
  | { readonly id: number; readonly pdf: Uint8Array }
  | { readonly id: number; readonly error: string };

/** Renders a document in this thread (what the worker runs; tests call it directly). */
export function renderDocument(document: PdfDocumentRequest): Promise<Uint8Array> {
  switch (document.kind) {
    case 'enrollment-receipt':
      return renderEnrollmentReceipt(document.data);
    case 'verification-report':
      return renderVerificationPdf(document.data);
  }
}

const port = parentPort;
if (port) {
  port.on('message', (request: PdfWorkerRequest) => {
    renderDocument(request.document).then(
      (pdf) =>
        port.postMessage({ id: request.id, pdf } satisfies PdfWorkerReply, [pdf.buffer as ArrayBuffer]),
      (error: unknown) =>
        port.postMessage({
          id: request.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies PdfWorkerReply),
    );
  });
  port.postMessage({ ready: true });
}
