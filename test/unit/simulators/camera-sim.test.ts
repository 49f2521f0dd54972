import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessRenderer } from '../../../simulators/camera/render-frame.ts';
import { naturalMotion, placeholderCard, scenarioScene } from '../../../simulators/camera/scenarios.ts';
import {
  type CameraClock,
  createSimulatedCamera,
  type SimulatedCamera,
  SimulatedCameraError,
} from '../../../simulators/camera/sim-camera.ts';
import { createWorkerRenderer } from '../../../simulators/camera/worker.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A clock that only moves when the camera sleeps or the test says so. */
function fakeClock(): CameraClock & { advance(ms: number): void } {
  let now = 0;
  return {
    monotonic: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) throw new Error('aborted');
      now += ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}

const cameras: SimulatedCamera[] = [];
const open = (options: Parameters<typeof createSimulatedCamera>[0]) => {
  const camera = createSimulatedCamera(options);
  cameras.push(camera);
  return camera;
};
afterEach(async () => {
  await Promise.all(cameras.splice(0).map((c) => c.close()));
});

describe('frames', () => {
  it.each([
    [640, 480],
    [1280, 720],
  ] as const)('are JPEGs that decode to %dx%d RGB', async (width, height) => {
    const camera = open({ personSeed: '079201001234', width, height, clock: fakeClock() });
    const frame = await camera.frameAt(3);
    expect(frame.jpeg.subarray(0, 3)).toEqual(Uint8Array.of(0xff, 0xd8, 0xff));
    expect(frame.jpeg.subarray(-2)).toEqual(Uint8Array.of(0xff, 0xd9));
    const meta = await sharp(frame.jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(width);
    expect(meta.height).toBe(height);
    expect(meta.channels).toBe(3);
    expect(frame.faces).toHaveLength(1);
  });

  it('are the same bytes for the same frame number, and move from frame to frame', async () => {
    const camera = open({ personSeed: '1', clock: fakeClock() });
    const a = await camera.frameAt(10);
    const b = await camera.frameAt(10);
    const c = await camera.frameAt(40);
    expect(sha256(a.jpeg)).toBe(sha256(b.jpeg));
    expect(sha256(a.jpeg)).not.toBe(sha256(c.jpeg));
    expect(a.faces[0]?.landmarks[30]).not.toEqual(c.faces[0]?.landmarks[30]);
  });

  it('replay a loop: each place in it is rendered once, until the scenario or person changes', async () => {
    const inner = createInProcessRenderer();
    let renders = 0;
    const counting = {
      render: (request: Parameters<typeof inner.render>[0]) => {
        renders += 1;
        return inner.render(request);
      },
      setCardImage: (image: Parameters<typeof inner.setCardImage>[0]) => inner.setCardImage(image),
      close: () => inner.close(),
    };
    const camera = open({ personSeed: '1', clock: fakeClock(), fps: 10, loopSeconds: 2, renderer: counting });
    const first = await camera.frameAt(3);
    const again = await camera.frameAt(23); // 2 s at 10 fps later: the same place in the loop
    expect(sha256(again.jpeg)).toBe(sha256(first.jpeg));
    expect(again.timestampMs - first.timestampMs).toBe(2000);
    expect(renders).toBe(1);
    camera.setScenario('dark');
    expect(sha256((await camera.frameAt(23)).jpeg)).not.toBe(sha256(first.jpeg));
    expect(renders).toBe(2);
  });

  it('show the scenario and the person they are switched to', async () => {
    const camera = open({ personSeed: '1', clock: fakeClock() });
    camera.setScenario('no-face');
    expect((await camera.frameAt(0)).faces).toEqual([]);
    camera.setScenario('two-faces');
    expect((await camera.frameAt(0)).faces).toHaveLength(2);
    camera.setScenario('good');
    camera.setPerson('2');
    const frame = await camera.frameAt(0);
    expect(frame.personSeed).toBe('2');
    expect(frame.faces[0]?.person).toBe('2');
  });

  it('show a photograph held up to the lens, as it is, until it is taken away or another person steps up', async () => {
    const camera = open({ personSeed: '1', clock: fakeClock() });
    const drawn = await camera.frameAt(5);
    const photo = new Uint8Array(
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } })
        .jpeg()
        .toBuffer(),
    );
    camera.setPhoto(photo);
    const held = await camera.frameAt(5);
    expect(held.jpeg).toBe(photo);
    expect(held.faces).toEqual([]);
    expect(held.timestampMs).toBe(drawn.timestampMs);
    camera.setPhoto(undefined);
    expect(sha256((await camera.frameAt(5)).jpeg)).toBe(sha256(drawn.jpeg));
    camera.setPhoto(photo);
    camera.setPerson('2');
    const next = await camera.frameAt(5);
    expect(next.jpeg).not.toBe(photo);
    expect(next.faces[0]?.person).toBe('2');
  });

  it('reject an unknown scenario and a bad size with typed errors', () => {
    const camera = open({ personSeed: '1', clock: fakeClock() });
    expect(() => camera.setScenario('sideways')).toThrow(SimulatedCameraError);
    try {
      camera.setScenario('sideways');
    } catch (error) {
      expect((error as SimulatedCameraError).code).toBe('SIM_CAMERA_UNKNOWN_SCENARIO');
    }
    expect(() => createSimulatedCamera({ personSeed: '1', width: 640, height: 720 })).toThrow(
      SimulatedCameraError,
    );
    expect(() => createSimulatedCamera({ personSeed: '1', fps: 0 })).toThrow(SimulatedCameraError);
  });
});

describe('the stream', () => {
  it('delivers consecutive frames one frame period apart to a consumer that keeps up', async () => {
    const clock = fakeClock();
    const camera = open({ personSeed: '1', clock, still: true });
    const seen: { frame: number; t: number }[] = [];
    for await (const f of camera.framesWithTruth()) {
      seen.push({ frame: f.frame, t: f.timestampMs });
      if (seen.length === 4) break;
    }
    expect(seen.map((s) => s.frame)).toEqual([0, 1, 2, 3]);
    expect((seen[3]?.t ?? 0) - (seen[0]?.t ?? 0)).toBeCloseTo(100, 6);
  });

  it('drops frames a slow consumer missed instead of queueing them', async () => {
    const clock = fakeClock();
    const camera = open({ personSeed: '1', clock, still: true });
    const frames: number[] = [];
    for await (const f of camera.framesWithTruth()) {
      frames.push(f.frame);
      clock.advance(100); // the consumer takes three frame periods per frame
      if (frames.length === 4) break;
    }
    expect(frames[0]).toBe(0);
    for (let i = 1; i < frames.length; i++)
      expect((frames[i] ?? 0) - (frames[i - 1] ?? 0)).toBeGreaterThanOrEqual(3);
  });

  it('ends when its signal fires, and yields JPEG bytes from frames()', async () => {
    const camera = open({ personSeed: '1', clock: fakeClock(), still: true });
    const stop = new AbortController();
    let count = 0;
    for await (const jpeg of camera.frames(stop.signal)) {
      expect(jpeg[0]).toBe(0xff);
      count++;
      if (count === 2) stop.abort();
    }
    expect(count).toBe(2);
  });
});

describe('motion', () => {
  it('sways a little and blinks every few seconds', () => {
    let blinked = 0;
    let maxYaw = 0;
    for (let n = 0; n < 30 * 6; n++) {
      const m = naturalMotion('079201001234', n);
      if (m.eyeOpenness < 0.3) blinked++;
      maxYaw = Math.max(maxYaw, Math.abs(m.dyaw));
    }
    expect(blinked).toBeGreaterThan(0);
    expect(blinked).toBeLessThan(12);
    expect(maxYaw).toBeGreaterThan(0.5);
    expect(maxYaw).toBeLessThanOrEqual(2);
  });

  it('keeps the eyes closed through eyes-closed and still poses still', () => {
    for (const frame of [0, 31, 77]) {
      const scene = scenarioScene('eyes-closed', { personSeed: '1', width: 64, height: 48, frame });
      expect(scene.subjects[0]?.eyeOpenness).toBe(0);
      const still = scenarioScene('good', { personSeed: '1', width: 64, height: 48, frame, still: true });
      expect(still.subjects[0]?.pose.yaw).toBe(0);
    }
  });

  it('puts the held card in front in card-qr', async () => {
    const card = placeholderCard();
    const scene = scenarioScene('card-qr', {
      personSeed: '1',
      width: 640,
      height: 480,
      frame: 0,
      cardImage: card,
    });
    expect(scene.card?.image).toBe(card);
    const camera = open({ personSeed: '1', clock: fakeClock(), scenario: 'card-qr', still: true });
    const { data, info } = await sharp((await camera.frameAt(0)).jpeg)
      .raw()
      .toBuffer({ resolveWithObject: true });
    // The placeholder card is pale blue-white where the card sits (centre x, 83 % down).
    const o = (Math.round(0.83 * info.height) * info.width + Math.round(0.45 * info.width)) * 3;
    expect(data[o + 2]).toBeGreaterThan(200);
  });
});

describe('the worker renderer', () => {
  it('renders the same bytes as the in-process renderer, off the main thread', async () => {
    const request = {
      scenario: 'glasses-glare',
      personSeed: '036190000777',
      width: 640,
      height: 480,
      frame: 12,
      fps: 30,
      quality: 75,
    } as const;
    const local = createInProcessRenderer();
    const worker = createWorkerRenderer();
    try {
      const [a, b] = await Promise.all([local.render(request), worker.render(request)]);
      expect(sha256(b.jpeg)).toBe(sha256(a.jpeg));
      expect(b.faces).toEqual(a.faces);
    } finally {
      await worker.close();
      await local.close();
    }
  });

  it('rejects frames pending when it is closed', async () => {
    const worker = createWorkerRenderer();
    const pending = worker.render({
      scenario: 'good',
      personSeed: '1',
      width: 640,
      height: 480,
      frame: 0,
      fps: 30,
      quality: 75,
    });
    const rejected = expect(pending).rejects.toMatchObject({ code: 'SIM_CAMERA_CLOSED' });
    await worker.close();
    await rejected;
  });
});
