/**
 * The JPEG 2000 decoder's worker thread (started by jpeg2000.ts): OpenJPEG's WASM decode is synchronous
 * CPU work of 50-300 ms per portrait, which must not run on the event loop that serves the officer's
 * screen. One request at a time; replies carry the request id and either the pixels (transferred, not
 * copied) or the error's code and message.
 */
import { parentPort } from 'node:worker_threads';
import type { ImageErrorCode, ImageLimits } from './image-errors.ts';
import { decodeJpeg2000With, loadOpenJpeg } from './jpeg2000-codec.ts';

export interface Jpeg2000Request {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly limits: ImageLimits;
}

export type Jpeg2000Reply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly width: number;
      readonly height: number;
      readonly data: Uint8Array;
    }
  | { readonly id: number; readonly ok: false; readonly code: ImageErrorCode; readonly message: string };

const port = parentPort;
if (!port) throw new Error('jpeg2000-worker.ts runs only as a worker thread');
const codec = await loadOpenJpeg();
port.on('message', (request: Jpeg2000Request) => {
  const result = decodeJpeg2000With(codec, request.bytes, request.limits);
  if (result.ok) {
    const { width, height, data } = result.value;
    const reply: Jpeg2000Reply = { id: request.id, ok: true, width, height, data };
    port.postMessage(reply, data.buffer instanceof ArrayBuffer ? [data.buffer] : []);
  } else {
    const reply: Jpeg2000Reply = {
      id: request.id,
      ok: false,
      code: result.error.code,
      message: result.error.message,
    };
    port.postMessage(reply);
  }
});
