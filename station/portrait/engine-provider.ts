/**
 * The station's one face engine, started on first use: its models take about 0.4 GB and a few
 * seconds to load, and many stations (a fingerprint-only desk, most tests) never compare a face.
 * A start that fails is forgotten, so the next request tries again; `close()` stops the engine if it
 * was started.
 */
import type { FaceEngine } from '../faces/engine.ts';

export interface LazyFaceEngine {
  /** The engine, starting it on the first call. @throws what `start` throws (FaceEngineError). */
  get(): Promise<FaceEngine>;
  /** Whether the engine is running now. */
  started(): boolean;
  close(): Promise<void>;
}

export function lazyFaceEngine(start: () => Promise<FaceEngine>): LazyFaceEngine {
  let pending: Promise<FaceEngine> | undefined;
  let engine: FaceEngine | undefined;
  let closed = false;
  return {
    get() {
      if (closed) return Promise.reject(new Error('the station is closing: no face engine'));
      pending ??= start().then(
        (started) => {
          engine = started;
          if (closed) void started.close();
          return started;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    started: () => engine !== undefined,
    async close() {
      closed = true;
      const running = engine ?? (await pending?.catch(() => undefined));
      await running?.close();
    },
  };
}
