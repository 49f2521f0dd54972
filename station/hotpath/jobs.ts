/**
 * The hot path's jobs: what runs in the workers, by kind. The pool (pool.ts) is typed by
 * `HotpathJobs`, so a caller's input and output types follow from the job's name.
 *
 * Inputs and outputs are plain data with typed arrays, so they cross threads by structured clone
 * or, for the big pixel and file buffers, by transfer.
 */
import { type Hand, type SlapSegmentation, segmentSlap } from '../../protocol/fingerprint/segment.ts';
import { decodeWsq, encodeWsq, type WsqImage } from '../../protocol/wsq/index.ts';
import { type JobContext, JobInputError, type JobOutput } from './worker-runtime.ts';

export interface GreyInput {
  readonly width: number;
  readonly height: number;
  /** 8-bit grey, row-major; transferred to the worker, so the caller's copy is emptied. */
  readonly pixels: Uint8Array;
}

export interface WsqEncodeInput extends GreyInput {
  readonly ppi?: number;
  /** Bits per pixel; 0.75 when omitted. */
  readonly bitRate?: number;
}

export interface SegmentInput extends GreyInput {
  readonly hand: Hand;
  /** Finger positions declared absent (amputated, bandaged). */
  readonly missing?: readonly number[];
}

export interface HotpathJobs {
  segment: { readonly input: SegmentInput; readonly output: SlapSegmentation };
  'wsq-encode': { readonly input: WsqEncodeInput; readonly output: Uint8Array };
  'wsq-decode': { readonly input: { readonly bytes: Uint8Array }; readonly output: WsqImage };
}

export type JobKind = keyof HotpathJobs;

type Handlers = {
  readonly [K in JobKind]: (
    input: HotpathJobs[K]['input'],
    ctx: JobContext,
  ) => JobOutput<HotpathJobs[K]['output']>;
};

/** The station's job handlers. Run only inside workers (worker.ts). */
export const STATION_JOBS: Handlers = {
  segment(input, ctx) {
    const result = ctx.stage('segment', () =>
      segmentSlap(input, {
        hand: input.hand,
        ...(input.missing === undefined ? {} : { missing: input.missing }),
      }),
    );
    if (!result.ok)
      throw new JobInputError(result.error.reason, `Segmentation refused the image: ${result.error.detail}`);
    return {
      value: result.value,
      // Distinct buffers only: transferring one twice is an error.
      transfer: [...new Set(result.value.fingers.map((f) => f.crop.pixels.buffer as ArrayBuffer))],
    };
  },

  'wsq-encode'(input, ctx) {
    const encoded = ctx.stage('wsq', () =>
      encodeWsq(input.pixels, {
        width: input.width,
        height: input.height,
        ...(input.ppi === undefined ? {} : { ppi: input.ppi }),
        ...(input.bitRate === undefined ? {} : { bitRate: input.bitRate }),
      }),
    );
    if (!encoded.ok)
      throw new JobInputError(encoded.error.reason, `WSQ encoding refused: ${encoded.error.detail}`);
    return { value: encoded.value, transfer: [encoded.value.buffer as ArrayBuffer] };
  },

  'wsq-decode'(input, ctx) {
    const decoded = ctx.stage('wsq-decode', () => decodeWsq(input.bytes));
    if (!decoded.ok)
      throw new JobInputError(
        decoded.error.reason,
        `WSQ decoding failed at byte ${decoded.error.offset}: ${decoded.error.detail}`,
      );
    return { value: decoded.value, transfer: [decoded.value.pixels.buffer as ArrayBuffer] };
  },
};
