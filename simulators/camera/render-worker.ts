/**
 * The body of the simulated camera's render thread (started by worker.ts): renders and encodes one
 * frame per request, so the station's event loop never runs the rasteriser.
 */
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../drivers/thread-priority.ts';
import type { RgbImage } from '../../protocol/face/types.ts';
import { renderCardQr } from '../barcode/qr-card-image.ts';
import { createInProcessRenderer } from './render-frame.ts';
import type { FromRenderWorker, ToRenderWorker } from './worker.ts';

// CPU work off the event loop yields the cores to it (drivers/thread-priority.ts).
lowerThreadPriority();

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs only as a worker thread');
const renderer = createInProcessRenderer();

port.on('message', (message: ToRenderWorker) => {
  if (message.type === 'card') {
    const image: RgbImage | undefined = message.image;
    renderer.setCardImage(image);
    return;
  }
  if (message.type === 'card-qr') {
    // Messages are handled in order, so every frame asked for after this one shows the card.
    renderer.setCardImage(renderCardQr(message.text, message.options));
    return;
  }
  renderer.render(message.request).then(
    (frame) => {
      // A copy of sharp's buffer (which may be external memory) is ours to transfer.
      const jpeg = frame.jpeg.slice();
      const reply: FromRenderWorker = { type: 'frame', id: message.id, frame: { ...frame, jpeg } };
      port.postMessage(reply, [jpeg.buffer]);
    },
    (error: unknown) => {
      const reply: FromRenderWorker = {
        type: 'error',
        id: message.id,
        message: error instanceof Error ? error.message : String(error),
      };
      port.postMessage(reply);
    },
  );
});
port.postMessage({ type: 'ready' } satisfies FromRenderWorker);
