/**
 * A bench/match.ts worker thread: renders and extracts templates, and compares pairs of the
 * templates it was loaded with. Started by pool.ts through the station's TypeScript worker entry.
 */
import { parentPort } from 'node:worker_threads';
import { compare, type MccTemplate, prepare } from '../../protocol/fingerprint/match/index.ts';
import { extractMinutiae } from '../../protocol/fingerprint/ridges.ts';
import { renderFinger } from '../../simulators/fingerprint/generator.ts';
import type { ImpressionSpec } from './set.ts';

export interface GreyInput {
  readonly id: string;
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly ppi: number;
}

export interface TemplateOutcome {
  readonly index: number;
  /** The template, or why there is none (prepare's error reason and detail). */
  readonly template: MccTemplate | null;
  readonly error: { readonly reason: string; readonly detail: string } | null;
  readonly minutiae: number;
  readonly fingerClass: string | null;
  /** ms: rendering (generator only), extraction, prepare. */
  readonly renderMs: number;
  readonly extractMs: number;
  readonly prepareMs: number;
  /** The image, when asked for (to hand to another matcher). */
  readonly image: GreyInput | null;
}

export type Task =
  | { readonly kind: 'render'; readonly specs: readonly ImpressionSpec[]; readonly keepPixels: boolean }
  | { readonly kind: 'extract'; readonly images: readonly (GreyInput & { readonly index: number })[] }
  | { readonly kind: 'load'; readonly templates: readonly (MccTemplate | null)[] }
  | { readonly kind: 'compare'; readonly pairs: Int32Array };

let loaded: readonly (MccTemplate | null)[] = [];

function templateOf(
  index: number,
  image: GreyInput,
  renderMs: number,
  fingerClass: string | null,
  keep: boolean,
): TemplateOutcome {
  const t0 = performance.now();
  const extracted = extractMinutiae(image, { profile: 'template' });
  const t1 = performance.now();
  const prepared = prepare({
    width: image.width,
    height: image.height,
    ppi: image.ppi,
    minutiae: extracted.minutiae,
  });
  const t2 = performance.now();
  return {
    index,
    template: prepared.ok ? prepared.value : null,
    error: prepared.ok ? null : { reason: prepared.error.reason, detail: prepared.error.detail },
    minutiae: extracted.minutiae.length,
    fingerClass,
    renderMs,
    extractMs: t1 - t0,
    prepareMs: t2 - t1,
    image: keep ? image : null,
  };
}

function run(task: Task): unknown {
  switch (task.kind) {
    case 'render':
      return task.specs.map((spec) => {
        const t0 = performance.now();
        const rendered = renderFinger({
          personSeed: spec.personSeed,
          finger: spec.position,
          impression: spec.impression,
          condition: spec.condition,
        });
        const renderMs = performance.now() - t0;
        const image = { id: spec.id, ...rendered.image };
        return templateOf(spec.index, image, renderMs, rendered.finger?.fingerClass ?? null, task.keepPixels);
      });
    case 'extract':
      return task.images.map((image) => templateOf(image.index, image, 0, null, false));
    case 'load':
      loaded = task.templates;
      return loaded.length;
    case 'compare': {
      const { pairs } = task;
      const scores = new Float64Array(pairs.length / 2);
      for (let p = 0; p < scores.length; p++) {
        const a = loaded[pairs[2 * p] ?? 0];
        const b = loaded[pairs[2 * p + 1] ?? 0];
        scores[p] = a && b ? compare(a, b).score : Number.NaN;
      }
      return scores;
    }
  }
}

parentPort?.on('message', (message: { id: number; task: Task }) => {
  try {
    parentPort?.postMessage({ id: message.id, ok: true, value: run(message.task) });
  } catch (error) {
    parentPort?.postMessage({
      id: message.id,
      ok: false,
      error: error instanceof Error ? error.stack : String(error),
    });
  }
});
