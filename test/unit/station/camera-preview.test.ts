/**
 * The preview's two halves that need no camera: the station's pacing of frames to the asked rate (by
 * frame timestamps, so no timers and no flakiness) and the CLI's reading of the multipart stream
 * however the network cuts it into chunks.
 */
import { describe, expect, it } from 'vitest';
import { MultipartReader } from '../../../station/cli/commands/camera.ts';
import { PreviewPacer } from '../../../station/plugins/camera.ts';

/** Frame timestamps of a camera at `fps`, ms, with a seeded jitter of up to ±`jitterMs`. */
function timestamps(count: number, fps: number, jitterMs = 0, seed = 7): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(1000 + (i * 1000) / fps + ((x / 2 ** 31) * 2 - 1) * jitterMs);
  }
  return out;
}

const sent = (pacer: PreviewPacer, times: readonly number[]) => times.filter((t) => pacer.take(t));

describe('PreviewPacer', () => {
  it('sends every third frame of a 30 fps camera at 10 fps, even with timing jitter', () => {
    expect(sent(new PreviewPacer(10), timestamps(300, 30))).toHaveLength(100);
    const jittery = sent(new PreviewPacer(10), timestamps(300, 30, 4));
    expect(jittery.length).toBeGreaterThanOrEqual(98);
    expect(jittery.length).toBeLessThanOrEqual(101);
  });

  it('does not halve the rate when the camera runs at exactly the asked rate with a little jitter', () => {
    // Jitter within a tenth of the interval: a frame slightly early is still due.
    expect(sent(new PreviewPacer(30), timestamps(300, 30, 1.5))).toHaveLength(300);
  });

  it('sends every frame when the camera is slower than the asked rate', () => {
    expect(sent(new PreviewPacer(30), timestamps(60, 15))).toHaveLength(60);
  });

  it('does not burst after the camera paused: the schedule restarts', () => {
    const pacer = new PreviewPacer(10);
    const before = timestamps(30, 30);
    const after = timestamps(30, 30).map((t) => t + 5000);
    expect(sent(pacer, before)).toHaveLength(10);
    const resumed = sent(pacer, after);
    expect(resumed).toHaveLength(10);
    for (let i = 1; i < resumed.length; i++)
      expect((resumed[i] ?? 0) - (resumed[i - 1] ?? 0)).toBeGreaterThanOrEqual(90);
  });

  it('refuses a rate of zero', () => {
    expect(() => new PreviewPacer(0)).toThrow(RangeError);
  });
});

function multipart(parts: readonly { jpeg: Uint8Array; sequence: number }[]): Uint8Array {
  const chunks = parts.flatMap(({ jpeg, sequence }) => [
    Buffer.from(
      `--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\nX-Frame-Sequence: ${sequence}\r\nX-Frame-Timestamp: 12.500\r\n\r\n`,
      'latin1',
    ),
    Buffer.from(jpeg),
    Buffer.from('\r\n'),
  ]);
  return new Uint8Array(Buffer.concat(chunks));
}

describe('MultipartReader', () => {
  const jpegs = [
    new Uint8Array([0xff, 0xd8, 13, 10, 13, 10, 0xff, 0xd9]), // a CRLFCRLF inside the picture
    new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]),
    new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
  ];
  const stream = multipart(jpegs.map((jpeg, i) => ({ jpeg, sequence: 40 + i })));

  it.each([1, 3, 7, 1000])('reads every part byte-exact from chunks of %i bytes', (size) => {
    const reader = new MultipartReader();
    const parts = [];
    for (let at = 0; at < stream.length; at += size)
      parts.push(...reader.push(stream.subarray(at, at + size)));
    expect(parts.map((p) => p.sequence)).toEqual([40, 41, 42]);
    expect(parts.map((p) => [...p.jpeg])).toEqual(jpegs.map((j) => [...j]));
  });

  it('refuses a part without Content-Length', () => {
    const reader = new MultipartReader();
    expect(() => reader.push(Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\nxx'))).toThrow(
      /Content-Length/,
    );
  });
});
