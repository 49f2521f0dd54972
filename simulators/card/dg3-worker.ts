/**
 * Builds a simulated card's DG3 on a worker thread: rendering two fingers with the generator and
 * compressing them takes seconds of CPU, which must not stall a station's event loop at start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildDg3 } from './lds-builder.ts';

const { seed } = workerData as { seed: number };
const dg3 = buildDg3(seed);
parentPort?.postMessage(dg3, [dg3.buffer as ArrayBuffer]);
