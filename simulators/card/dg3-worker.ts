/**
 * Builds a simulated card's DG3 and DG2 portrait on a worker thread: rendering two fingers with the
 * generator and compressing them takes seconds of CPU, and the synthetic face with its JPEG about half
 * a second, which must not stall a station's event loop at start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../../drivers/thread-priority.ts';
import { buildDg3, cardPortraitJpeg } from './lds-builder.ts';

// CPU work off the event loop yields the cores to it (drivers/thread-priority.ts).
lowerThreadPriority();

const { seed, portrait } = workerData as {
  seed: number;
  portrait: { id12: string; width: number; height: number };
};
const dg3 = buildDg3(seed);
const portraitJpeg = cardPortraitJpeg(portrait.id12, portrait.width, portrait.height);
parentPort?.postMessage({ dg3, portraitJpeg }, [
  dg3.buffer as ArrayBuffer,
  portraitJpeg.buffer as ArrayBuffer,
]);
