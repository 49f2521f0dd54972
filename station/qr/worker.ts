/**
 * The QR worker thread: decodes one frame per message with decodeQrFrame, so jsQR's synchronous CPU
 * work (tens of ms per 1280x720 frame) never runs on the event loop. Started by pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { decodeQrFrame, type QrDecodeResult, type QrFrame } from './decode.ts';

export interface QrWorkerRequest {
  readonly id: number;
  readonly frame: QrFrame;
}

export type QrWorkerReply =
  | { readonly id: number; readonly result: QrDecodeResult }
  | { readonly id: number; readonly error: string };

const port = parentPort;
if (port) {
  port.on('message', (request: QrWorkerRequest) => {
    let reply: QrWorkerReply;
    try {
      reply = { id: request.id, result: decodeQrFrame(request.frame) };
    } catch (error) {
      // decodeQrFrame returns results for bad frames; a throw here is a defect, reported as a crash.
      reply = {
        id: request.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
