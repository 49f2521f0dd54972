/**
 * The simulated scanners' render thread: the same prints as on the calling thread (the generator is
 * deterministic), in order, with bad options answered as errors, and closed cleanly.
 */
import { describe, expect, it } from 'vitest';
import {
  createWorkerPrintRenderer,
  PrintRenderError,
  type PrintRequest,
  renderPrint,
} from '../../../simulators/scanner/print-render.ts';

describe('createWorkerPrintRenderer', () => {
  it('renders on its thread exactly what the calling thread renders, in order, then closes', async () => {
    const renderer = createWorkerPrintRenderer();
    try {
      const requests: PrintRequest[] = [
        { kind: 'finger', options: { personSeed: 7, finger: 2, impression: 1, width: 300, height: 300 } },
        { kind: 'slap', options: { personSeed: 7, hand: 'thumbs', impression: 2, width: 800, height: 750 } },
      ];
      const [finger, slap] = await Promise.all(requests.map((r) => renderer.render(r)));
      const local = requests.map((r) => renderPrint(r));
      expect(finger?.fingers).toBe(1);
      expect(slap?.fingers).toBe(2);
      expect(Buffer.from(finger?.pixels ?? []).equals(Buffer.from(local[0]?.pixels ?? [1]))).toBe(true);
      expect(Buffer.from(slap?.pixels ?? []).equals(Buffer.from(local[1]?.pixels ?? [1]))).toBe(true);
      await expect(
        renderer.render({ kind: 'finger', options: { personSeed: 7, finger: 11 } }),
      ).rejects.toBeInstanceOf(PrintRenderError);
      // The thread survives a refused request.
      expect((await renderer.render(requests[0] as PrintRequest)).width).toBe(300);
    } finally {
      await renderer.close();
    }
    await expect(renderer.render({ kind: 'finger', options: { personSeed: 1 } })).rejects.toThrow(/closed/);
  }, 60_000);
});
