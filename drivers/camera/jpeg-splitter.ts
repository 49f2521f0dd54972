/**
 * Splits an MJPEG byte stream (what `ffmpeg -f mjpeg pipe:1` writes: JPEG files back to back) into
 * whole JPEG frames, incrementally: chunks may cut anywhere, markers included.
 *
 * The split follows the JPEG marker structure (ITU-T T.81 Annex B) rather than searching for the next
 * FF D9, so an EXIF thumbnail inside an APP1 segment (which has its own SOI .. EOI) does not end the
 * frame early, and a frame is checked on the way:
 * - B.1.1.2 markers: FF followed by a code; any number of FF fill bytes may precede it.
 * - B.1.1.3 marker segments: the two bytes after the code are the segment length, itself included.
 * - SOI (D8), EOI (D9), RST0-7 (D0-D7) and TEM (01) stand alone, without a length.
 * - B.1.1.5 entropy-coded data after SOS (DA): an FF data byte is stuffed as FF 00; RSTn may appear;
 *   any other marker ends the scan (EOI, or DHT/DQT/SOS between the scans of a progressive image).
 *
 * A frame is emitted only when it holds a frame header (SOFn) and a scan (SOS) and ends with EOI.
 * Everything else is skipped and reported as a warning, never thrown: bytes between frames
 * (`garbage`, one warning per run), SOI directly followed by EOI (`empty`: a zero-byte picture), a
 * broken structure or a frame cut short by the next SOI (`corrupt`), a frame longer than
 * `maxFrameBytes` (`too-large`), and at `end()` a frame still in progress (`truncated`).
 *
 * The result is the same for every way of cutting the stream into chunks. Memory is bounded by
 * `maxFrameBytes` plus one chunk.
 */

/** Default bound on one frame, bytes (8 MiB; a 1920x1080 MJPEG frame is 0.2-1 MB). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

export type SplitWarning =
  /** `bytes` outside any frame, in one run. */
  | { readonly kind: 'garbage'; readonly bytes: number }
  /** SOI immediately followed by EOI: a frame with no picture. */
  | { readonly kind: 'empty' }
  /** A frame whose structure is broken, skipped from its SOI; `bytes` up to where it broke. */
  | { readonly kind: 'corrupt'; readonly reason: CorruptReason; readonly bytes: number }
  /** A frame that did not end within `limit` bytes; its first `limit` bytes were dropped. */
  | { readonly kind: 'too-large'; readonly limit: number }
  /** The stream ended in the middle of a frame of `bytes` so far. */
  | { readonly kind: 'truncated'; readonly bytes: number };

export type CorruptReason =
  | 'expected-marker'
  | 'invalid-marker'
  | 'bad-segment-length'
  | 'soi-inside-frame'
  | 'no-image-data';

export interface SplitResult {
  /** Whole frames, SOI .. EOI, each a fresh copy. */
  readonly frames: Uint8Array[];
  readonly warnings: SplitWarning[];
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): T.81 Table B.1. */
function isFrameHeader(code: number): boolean {
  return code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc;
}

function isStandalone(code: number): boolean {
  return code === 0x01 || (code >= 0xd0 && code <= 0xd7);
}

export class JpegSplitter {
  readonly maxFrameBytes: number;
  #buf: Uint8Array;
  /** Bytes of the stream not yet consumed are #buf[#start .. #len). */
  #start = 0;
  #len = 0;
  #inFrame = false;
  /** Parse cursor inside the current frame (absolute index into #buf). */
  #pos = 0;
  #inScan = false;
  #sawFrameHeader = false;
  #sawScan = false;
  /** Bytes skipped in the current run outside frames. */
  #garbageRun = 0;
  /** The current run follows a corrupt or oversized frame: it is that frame's debris, not a new warning. */
  #silentRun = false;
  #frames = 0;
  #skipped = 0;

  /**
   * @param maxFrameBytes bound on one frame, bytes (at least 4).
   * @throws {RangeError} for a bound below 4 bytes.
   */
  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 4)
      throw new RangeError(`maxFrameBytes must be an integer >= 4, got ${maxFrameBytes}`);
    this.maxFrameBytes = maxFrameBytes;
    this.#buf = new Uint8Array(Math.min(maxFrameBytes, 256 * 1024));
  }

  /** Frames emitted so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Bytes skipped so far: garbage, and the bytes of every frame that was not emitted. */
  get skippedBytes(): number {
    return this.#skipped;
  }

  /** Feeds the next chunk of the stream; returns the frames it completed and the warnings it caused. */
  push(chunk: Uint8Array): SplitResult {
    const out: SplitResult = { frames: [], warnings: [] };
    if (chunk.length === 0) return out;
    this.#append(chunk);
    this.#run(out);
    return out;
  }

  /** The stream ended: reports a frame in progress or a garbage run, and resets for a new stream. */
  end(): SplitResult {
    const out: SplitResult = { frames: [], warnings: [] };
    const pending = this.#len - this.#start;
    if (this.#inFrame) {
      out.warnings.push({ kind: 'truncated', bytes: pending });
      this.#skipped += pending;
    } else {
      this.#garbageRun += pending;
      this.#skipped += pending;
      this.#endGarbageRun(out);
    }
    this.#start = 0;
    this.#len = 0;
    this.#inFrame = false;
    this.#silentRun = false;
    return out;
  }

  #append(chunk: Uint8Array): void {
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#len);
      this.#len -= this.#start;
      this.#pos -= this.#start;
      this.#start = 0;
    }
    const needed = this.#len + chunk.length;
    if (needed > this.#buf.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  #run(out: SplitResult): void {
    for (;;) {
      if (!this.#inFrame) {
        if (!this.#seek(out)) return;
      } else if (!this.#parse(out)) return;
    }
  }

  /** Looks for SOI; returns true when a frame begins. Bytes before it are garbage. */
  #seek(out: SplitResult): boolean {
    const buf = this.#buf;
    let k = buf.indexOf(0xff, this.#start);
    while (k !== -1 && k < this.#len) {
      if (k + 1 >= this.#len) break; // FF at the end: keep it, the next chunk may hold D8
      if (buf[k + 1] === SOI) {
        this.#skip(k - this.#start);
        this.#endGarbageRun(out);
        this.#inFrame = true;
        this.#pos = k + 2;
        this.#inScan = false;
        this.#sawFrameHeader = false;
        this.#sawScan = false;
        return true;
      }
      k = buf.indexOf(0xff, k + 1);
    }
    const keep = k !== -1 && k === this.#len - 1 ? 1 : 0;
    this.#skip(this.#len - keep - this.#start);
    return false;
  }

  #skip(bytes: number): void {
    this.#garbageRun += bytes;
    this.#skipped += bytes;
    this.#start += bytes;
  }

  #endGarbageRun(out: SplitResult): void {
    if (this.#garbageRun > 0 && !this.#silentRun)
      out.warnings.push({ kind: 'garbage', bytes: this.#garbageRun });
    this.#garbageRun = 0;
    this.#silentRun = false;
  }

  /** Parses the current frame as far as the bytes go; returns true when the frame ended either way. */
  #parse(out: SplitResult): boolean {
    const buf = this.#buf;
    const frameStart = this.#start;
    // Only the first maxFrameBytes of a frame are ever looked at, so the outcome does not depend on
    // how far past the bound the last chunk happened to reach.
    const avail = Math.min(this.#len, frameStart + this.maxFrameBytes);
    const needMore = (): boolean => {
      if (avail - frameStart >= this.maxFrameBytes) {
        out.warnings.push({ kind: 'too-large', limit: this.maxFrameBytes });
        this.#abandon(this.maxFrameBytes);
        return true;
      }
      return false;
    };
    let pos = this.#pos;
    for (;;) {
      if (this.#inScan) {
        let k = buf.indexOf(0xff, pos);
        if (k === -1 || k >= avail) {
          this.#pos = avail;
          return needMore();
        }
        if (k + 1 >= avail) {
          this.#pos = k;
          return needMore();
        }
        const next = buf[k + 1] ?? 0;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
          pos = k + 2;
          continue;
        }
        // Any other marker ends the entropy-coded segment; FF FF is fill before it.
        while (k + 1 < avail && buf[k + 1] === 0xff) k++;
        this.#inScan = false;
        pos = k;
        continue;
      }
      if (pos >= avail) {
        this.#pos = pos;
        return needMore();
      }
      if (buf[pos] !== 0xff) return this.#corrupt(out, 'expected-marker', pos);
      let p = pos + 1;
      while (p < avail && buf[p] === 0xff) p++;
      if (p >= avail) {
        this.#pos = p - 1;
        return needMore();
      }
      const code = buf[p] ?? 0;
      if (code === SOI) return this.#corrupt(out, 'soi-inside-frame', p - 1);
      if (code === EOI) {
        const end = p + 1;
        if (this.#sawFrameHeader && this.#sawScan) {
          out.frames.push(buf.slice(frameStart, end));
          this.#frames++;
          this.#start = end;
          this.#inFrame = false;
          return true;
        }
        if (end - frameStart === 4) {
          out.warnings.push({ kind: 'empty' });
          this.#abandon(4);
          this.#silentRun = false;
          return true;
        }
        return this.#corrupt(out, 'no-image-data', end);
      }
      if (code === 0x00) return this.#corrupt(out, 'invalid-marker', p + 1);
      if (isStandalone(code)) {
        pos = p + 1;
        continue;
      }
      if (p + 2 >= avail) {
        this.#pos = pos;
        return needMore();
      }
      const length = ((buf[p + 1] ?? 0) << 8) | (buf[p + 2] ?? 0);
      if (length < 2) return this.#corrupt(out, 'bad-segment-length', p + 1);
      const segmentEnd = p + 1 + length;
      if (segmentEnd > avail) {
        this.#pos = pos;
        return needMore();
      }
      if (isFrameHeader(code)) this.#sawFrameHeader = true;
      if (code === SOS) {
        this.#sawScan = true;
        this.#inScan = true;
      }
      pos = segmentEnd;
    }
  }

  /** Drops the current frame up to absolute index `resumeAt` and looks for the next SOI from there. */
  #corrupt(out: SplitResult, reason: CorruptReason, resumeAt: number): boolean {
    const bytes = resumeAt - this.#start;
    out.warnings.push({ kind: 'corrupt', reason, bytes });
    this.#abandon(bytes);
    return true;
  }

  #abandon(bytes: number): void {
    this.#skipped += bytes;
    this.#start += bytes;
    this.#inFrame = false;
    this.#garbageRun = 0;
    this.#silentRun = true;
  }
}

/**
 * The picture size in a JPEG's frame header (T.81 B.2.2: SOFn, then P, Y (lines), X (samples per
 * line)), pixels; undefined when the header is missing or cut short. Reads headers only.
 */
export function jpegDimensions(jpeg: Uint8Array): { width: number; height: number } | undefined {
  if (jpeg[0] !== 0xff || jpeg[1] !== SOI) return undefined;
  let pos = 2;
  while (pos + 3 < jpeg.length) {
    if (jpeg[pos] !== 0xff) return undefined;
    const code = jpeg[pos + 1] ?? 0;
    if (code === 0xff) {
      pos++;
      continue;
    }
    if (isStandalone(code)) {
      pos += 2;
      continue;
    }
    if (code === SOS || code === EOI || code === SOI) return undefined;
    const length = ((jpeg[pos + 2] ?? 0) << 8) | (jpeg[pos + 3] ?? 0);
    if (length < 2) return undefined;
    if (isFrameHeader(code)) {
      if (pos + 9 > jpeg.length || length < 7) return undefined;
      const height = ((jpeg[pos + 5] ?? 0) << 8) | (jpeg[pos + 6] ?? 0);
      const width = ((jpeg[pos + 7] ?? 0) << 8) | (jpeg[pos + 8] ?? 0);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    pos += 2 + length;
  }
  return undefined;
}
