/**
 * Portraits and face comparison over HTTP, with the camera on the production path (JPEG frames
 * piped through real ffmpeg into the station's CameraDevice) and the hot path's real workers; the
 * face engine here is a stand-in that reports the synthetic portrait's known face, so these tests
 * check the routes' contract (capture, descriptor kept server-side, comparison, live events, errors)
 * quickly. The real engine on the simulated camera is in station-portrait-engine.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSyntheticPortrait } from '../../protocol/face/synthetic.ts';
import type { DetectedFace, FaceDescriptor, RgbImage } from '../../protocol/face/types.ts';
import { buildStation } from '../../station/app.ts';
import type { SimulatedFeed, SimulatedFeedOptions } from '../../station/compose/cameras.ts';
import { composeStation } from '../../station/compose/embedded.ts';
import { type AnalyzedFace, compareDescriptors, type FaceEngine } from '../../station/faces/engine.ts';
import { encodeJpeg } from '../../station/imaging/sharp-images.ts';
import { lazyFaceEngine } from '../../station/portrait/engine-provider.ts';
import { ManualClock, tempDir, testConfig } from '../support/station.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const ENGINE = { name: 'stand-in', version: '0', threshold: 0.6, descriptorEngine: 'stand-in 0' };

/** Finds the synthetic portrait's face where it was drawn (in frames of that portrait only). */
class StandInEngine implements FaceEngine {
  readonly name = ENGINE.name;
  readonly version = ENGINE.version;
  readonly threshold = ENGINE.threshold;
  analyses = 0;
  constructor(readonly faces: readonly DetectedFace[]) {}
  async detect(image: RgbImage): Promise<DetectedFace[]> {
    // A frame that is mostly one colour (the "no face" picture) holds no face.
    const first = image.data[0];
    return image.data.every((v) => v === first) ? [] : [...this.faces];
  }
  async describe(): Promise<FaceDescriptor> {
    return { engine: ENGINE.descriptorEngine, values: new Float32Array(128).fill(0.01) };
  }
  async analyze(image: RgbImage): Promise<AnalyzedFace[]> {
    this.analyses += 1;
    const descriptor = await this.describe();
    return (await this.detect(image)).map((face) => ({ ...face, descriptor }));
  }
  compare(a: FaceDescriptor, b: FaceDescriptor) {
    return compareDescriptors(a, b, ENGINE);
  }
  async close(): Promise<void> {}
}

class PictureFeed implements SimulatedFeed {
  #closed = false;
  constructor(
    readonly options: SimulatedFeedOptions,
    readonly picture: () => Uint8Array,
  ) {}
  frames(): AsyncIterable<Uint8Array> {
    const feed = this;
    return (async function* () {
      while (!feed.#closed) {
        yield feed.picture();
        await new Promise((r) => setTimeout(r, 1000 / feed.options.fps));
      }
    })();
  }
  setScenario(): void {}
  setPerson(): void {}
  async close(): Promise<void> {
    this.#closed = true;
  }
}

const OTHER_DEVICES_OFF = {
  hotplug: { mode: 'disabled' },
  fingerprintHid: { mode: 'disabled' },
  fingerprintSerial: { mode: 'disabled' },
  cardReader: { mode: 'disabled' },
  barcode: { mode: 'disabled' },
};

async function portraitStation() {
  const portrait = renderSyntheticPortrait({ seed: 11 });
  const faceJpeg = await encodeJpeg(portrait.image, { quality: 85 });
  const blank = await encodeJpeg(
    { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(90) },
    { quality: 85 },
  );
  let showing = faceJpeg;
  const tmp = tempDir('station-portrait-');
  const config = testConfig(
    { devices: { ...OTHER_DEVICES_OFF, camera: { mode: 'simulated', fps: 15 } }, hotpath: { workers: 1 } },
    tmp.dir,
  );
  const deps = await composeStation(config, {
    clock: new ManualClock(),
    logger: false,
    simulatedCamera: {
      simulatedFeed: (options) => new PictureFeed(options, () => showing),
      simulatedScenarios: ['good'],
    },
  });
  const engine = new StandInEngine(portrait.faces);
  const app = await buildStation({ ...deps, faces: lazyFaceEngine(async () => engine) });
  cleanups.push(() => tmp.remove());
  cleanups.push(() => app.close());
  await until(async () => (await app.inject('/devices/camera/frame')).statusCode === 200, 'a first frame');
  return {
    app,
    engine,
    faceJpeg,
    show: (which: 'face' | 'blank') => (showing = which === 'face' ? faceJpeg : blank),
  };
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

describe('POST /devices/:id/portrait', () => {
  it('captures the newest frame: accepted, a chip portrait within budget, an ICAO capture, and a capture id', async () => {
    const { app } = await portraitStation();
    const answer = await app.inject({ method: 'POST', url: '/devices/camera/portrait', payload: {} });
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    expect(body).toMatchObject({ accepted: true, feedback: [], faceCount: 1, engine: { name: 'stand-in' } });
    expect(body.portrait).toMatchObject({ width: 480, height: 640 });
    expect(body.portrait.bytes).toBeLessThanOrEqual(20_000);
    const jpeg = Buffer.from(body.portrait.jpeg, 'base64');
    expect([jpeg[0], jpeg[1], jpeg.length]).toEqual([0xff, 0xd8, body.portrait.bytes]);
    expect(body.icao).toMatchObject({ width: 900, height: 1200 });
    expect(body.captureId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.measures.SingleFacePresent).toBeDefined();
    // The descriptor is biometric data: it never leaves the station.
    expect(answer.body).not.toContain('descriptor');
    const small = await app.inject({
      method: 'POST',
      url: '/devices/camera/portrait',
      payload: { maxBytes: 8000 },
    });
    expect(small.json().portrait.bytes).toBeLessThanOrEqual(8000);
  });

  it('answers FACE_NOT_FOUND with no portrait when nobody is in front of the camera; typed errors for a wrong device', async () => {
    const { app, show } = await portraitStation();
    show('blank');
    await new Promise((r) => setTimeout(r, 300));
    const answer = await app.inject({ method: 'POST', url: '/devices/camera/portrait', payload: {} });
    expect(answer.json()).toMatchObject({ accepted: false, faceCount: 0, portrait: null, captureId: null });
    expect(answer.json().feedback.map((f: { code: string }) => f.code)).toEqual(['FACE_NOT_FOUND']);
    const missing = await app.inject({ method: 'POST', url: '/devices/nothing/portrait', payload: {} });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
    const bad = await app.inject({
      method: 'POST',
      url: '/devices/camera/portrait',
      payload: { maxBytes: 5 },
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('POST /faces/compare', () => {
  it('compares a kept capture with an uploaded portrait, advisory, and refuses unknown captures and bad images', async () => {
    const { app, engine, faceJpeg } = await portraitStation();
    const captured = (
      await app.inject({ method: 'POST', url: '/devices/camera/portrait', payload: {} })
    ).json();
    const analyses = engine.analyses;
    const answer = await app.inject({
      method: 'POST',
      url: '/faces/compare',
      payload: {
        a: { captureId: captured.captureId },
        b: { image: Buffer.from(faceJpeg).toString('base64') },
      },
    });
    expect(answer.json()).toMatchObject({
      compared: true,
      decision: 'same',
      threshold: 0.6,
      engine: 'stand-in',
      advisory: true,
      presentationAttackDetection: 'not-performed',
      a: { source: 'capture' },
      b: { source: 'image' },
    });
    // The capture's descriptor was reused: only the uploaded image was analysed.
    expect(engine.analyses - analyses).toBe(1);
    const unknown = await app.inject({
      method: 'POST',
      url: '/faces/compare',
      payload: { a: { captureId: 'no-such-capture' }, b: { captureId: captured.captureId } },
    });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'FACE_CAPTURE_UNKNOWN']);
    const corrupt = await app.inject({
      method: 'POST',
      url: '/faces/compare',
      payload: {
        a: { image: Buffer.from('not an image').toString('base64') },
        b: { captureId: captured.captureId },
      },
    });
    expect(corrupt.statusCode).toBe(422);
    expect(corrupt.json().error.code).toMatch(/^IMAGE_/);
  });
});

describe('GET /devices/:id/portrait/live', () => {
  it('streams feedback for frames as they come, and stops when the client goes', async () => {
    const { app } = await portraitStation();
    const base = await listen(app);
    const abort = new AbortController();
    const response = await fetch(`${base}/devices/camera/portrait/live`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    let text = '';
    const events: { sequence: number; decision: { accepted: boolean }; detection: unknown }[] = [];
    while (events.length < 6) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)));
      }
    }
    abort.abort();
    expect(events.length).toBeGreaterThanOrEqual(6);
    const sequences = events.map((e) => e.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(new Set(sequences).size).toBe(sequences.length);
    // Once a detection has come back, the face-dependent checks are part of the feedback.
    expect(events.some((e) => e.detection !== null)).toBe(true);
  });
});
