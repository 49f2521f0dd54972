/**
 * The face engine's worker lifecycle: a worker that dies mid-request fails that request with
 * FACE_WORKER_CRASHED, a new worker takes over and the next request succeeds; models that cannot
 * load fail start() with FACE_MODEL_LOAD_FAILED; close() rejects what is pending.
 *
 * The crash is real: a stand-in worker module runs the production worker but first installs a
 * listener that ends the thread (process.exit in a worker ends only that thread) when it receives an
 * image 7 pixels wide, so the production restart path is the one under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceEngineError } from '../../station/faces/errors.ts';
import { FaceApiEngine } from '../../station/faces/face-api-engine.ts';
import { blankImage, readFaceFixture } from '../support/face-images.ts';

const require = createRequire(import.meta.url);
const tsxApi = pathToFileURL(
  path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
);
const realWorker = new URL('../../station/faces/face-api-worker.ts', import.meta.url);

/** The production worker, plus a trap: an image 7 pixels wide ends the worker thread. */
const crashingWorker = new URL(
  `data:text/javascript,${encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (request) => { if (request.image && request.image.width === 7) process.exit(70); });
const { tsImport } = await import(${JSON.stringify(tsxApi.href)});
await tsImport(${JSON.stringify(realWorker.href)}, ${JSON.stringify(realWorker.href)});
`)}`,
);

let engine: FaceApiEngine;

beforeAll(async () => {
  // Tiny only: this file tests the lifecycle, not the detector, and restarts load the models again.
  engine = await FaceApiEngine.start({ detectors: ['tiny'], workerModule: crashingWorker });
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

describe('face engine worker lifecycle', () => {
  it('fails the running request when the worker dies, starts a new worker, and serves the next request', async () => {
    const photo = await readFaceFixture('obama__obama_small.jpg');
    expect(await engine.detect(photo)).toHaveLength(1);

    const crashing = engine.detect(blankImage(7, 7));
    // Queued behind the crashing request: it waits for the new worker instead of failing.
    const queued = engine.detect(photo);
    const error = await crashing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FaceEngineError);
    expect((error as FaceEngineError).code).toBe('FACE_WORKER_CRASHED');
    expect(await queued).toHaveLength(1);
    expect(await engine.detect(photo)).toHaveLength(1);
    expect(engine.stats().restarts).toBe(1);
  }, 60_000);

  it('rejects pending requests with FACE_ENGINE_CLOSED on close, and later calls too', async () => {
    const other = await FaceApiEngine.start({ detectors: ['tiny'] });
    const photo = await readFaceFixture('obama__obama_small.jpg');
    const codeOf = (pending: Promise<unknown>) =>
      pending.then(
        () => 'resolved',
        (error: unknown) => (error instanceof FaceEngineError ? error.code : 'other'),
      );
    const running = codeOf(other.detect(photo));
    const queued = codeOf(other.detect(photo));
    await other.close();
    expect(await running).toBe('FACE_ENGINE_CLOSED');
    expect(await queued).toBe('FACE_ENGINE_CLOSED');
    await expect(other.detect(photo)).rejects.toMatchObject({ code: 'FACE_ENGINE_CLOSED' });
  }, 60_000);

  it('fails start() with FACE_MODEL_LOAD_FAILED when the model files are missing', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'face-models-'));
    try {
      await expect(FaceApiEngine.start({ detectors: ['tiny'], modelDir: empty })).rejects.toMatchObject({
        name: 'FaceEngineError',
        code: 'FACE_MODEL_LOAD_FAILED',
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
