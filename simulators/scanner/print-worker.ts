/**
 * The body of the simulated scanners' render thread (started by print-render.ts): one print per
 * request, in order, its pixels transferred back.
 */
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../drivers/thread-priority.ts';
import { type FromPrintWorker, renderPrint, type ToPrintWorker } from './print-render.ts';

// CPU work off the event loop yields the cores to it (drivers/thread-priority.ts).
lowerThreadPriority();

const port = parentPort;
if (!port) throw new Error('print-worker.ts runs only as a worker thread');

port.on('message', (message: ToPrintWorker) => {
  try {
    const print = renderPrint(message.request);
    const pixels =
      print.pixels.byteOffset === 0 && print.pixels.byteLength === print.pixels.buffer.byteLength
        ? print.pixels
        : print.pixels.slice();
    port.postMessage(
      { type: 'print', id: message.id, print: { ...print, pixels } } satisfies FromPrintWorker,
      [pixels.buffer as ArrayBuffer],
    );
  } catch (error) {
    port.postMessage({
      type: 'error',
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    } satisfies FromPrintWorker);
  }
});
port.postMessage({ type: 'ready' } satisfies FromPrintWorker);
