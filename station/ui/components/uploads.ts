/**
 * The uploader as the screen sees it, from the station's `/streams/outbox` server-sent events: its
 * state (online, offline since when, queue depth, packets being sent), each packet's progress and
 * the last problem. One EventSource serves every component that listens (the status bar, the
 * admin's outbox); it opens with the first listener and closes with the last. The browser's
 * EventSource reconnects by itself after a lost connection; the first `state` event after that
 * brings the view up to date.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Bilingual } from '../api.ts';

export interface UploaderState {
  readonly running: boolean;
  readonly online: boolean;
  /** Wall-clock ms since when central has been unreachable; null while online. */
  readonly offlineSince: number | null;
  readonly queueDepth: number;
  readonly lastSuccessAt: number | null;
  readonly uploading: readonly string[];
}

export interface PacketProgress {
  readonly bytesSent: number;
  readonly bytesTotal: number;
}

export interface UploadProblem {
  readonly code: string;
  readonly message: Bilingual;
  readonly packetId?: string;
  /** Browser wall-clock ms when it arrived. */
  readonly at: number;
}

export interface UploadsView {
  /** Undefined until the stream's first `state` event. */
  readonly state: UploaderState | undefined;
  /** Progress of the packets being sent now (others are dropped as they leave `uploading`). */
  readonly progress: ReadonlyMap<string, PacketProgress>;
  readonly lastProblem: UploadProblem | undefined;
  /** Counts acknowledgements and dead-letters seen: a list showing packets re-reads when it moves. */
  readonly settled: number;
}

const EMPTY: UploadsView = { state: undefined, progress: new Map(), lastProblem: undefined, settled: 0 };

type Listener = (view: UploadsView) => void;
const listeners = new Set<Listener>();
let view: UploadsView = EMPTY;
let source: EventSource | undefined;
let reopen: ReturnType<typeof setTimeout> | undefined;

/** After the station refused the stream (a restart ended the session, say), how long before asking again, ms. */
const REOPEN_MS = 5000;

function publish(next: UploadsView): void {
  view = next;
  for (const listener of [...listeners]) listener(view);
}

function parse(event: MessageEvent): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(String(event.data));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function open(): void {
  source = new EventSource('/streams/outbox');
  source.addEventListener('error', () => {
    // A network error retries by itself; a refusal (401, 503) closes the source for good.
    if (source?.readyState !== EventSource.CLOSED) return;
    source = undefined;
    clearTimeout(reopen);
    reopen = setTimeout(() => {
      if (listeners.size > 0 && source === undefined) open();
    }, REOPEN_MS);
  });
  source.addEventListener('state', (event) => {
    const state = parse(event as MessageEvent)?.state as UploaderState | undefined;
    if (state === undefined) return;
    const progress = new Map([...view.progress].filter(([id]) => state.uploading.includes(id)));
    publish({ ...view, state, progress });
  });
  source.addEventListener('progress', (event) => {
    const data = parse(event as MessageEvent);
    if (typeof data?.packetId !== 'string') return;
    const progress = new Map(view.progress);
    progress.set(data.packetId, { bytesSent: Number(data.bytesSent), bytesTotal: Number(data.bytesTotal) });
    publish({ ...view, progress });
  });
  const settled = (event: Event) => {
    const data = parse(event as MessageEvent);
    const progress = new Map(view.progress);
    if (typeof data?.packetId === 'string') progress.delete(data.packetId);
    publish({ ...view, progress, settled: view.settled + 1 });
  };
  source.addEventListener('acknowledged', settled);
  source.addEventListener('dead-lettered', settled);
  source.addEventListener('problem', (event) => {
    const data = parse(event as MessageEvent);
    const message = data?.message as Bilingual | undefined;
    if (typeof data?.code !== 'string' || message === undefined) return;
    publish({
      ...view,
      lastProblem: {
        code: data.code,
        message,
        ...(typeof data.packetId === 'string' ? { packetId: data.packetId } : {}),
        at: Date.now(),
      },
    });
  });
}

/** Listens to the uploader while `enabled` (a signed-in session: the stream needs one). */
export function useUploads(enabled: boolean): UploadsView {
  const [current, setCurrent] = useState<UploadsView>(view);
  useEffect(() => {
    if (!enabled) return;
    listeners.add(setCurrent);
    if (source === undefined) open();
    setCurrent(view);
    return () => {
      listeners.delete(setCurrent);
      if (listeners.size === 0) {
        clearTimeout(reopen);
        source?.close();
        source = undefined;
        view = EMPTY;
      }
    };
  }, [enabled]);
  return enabled ? current : EMPTY;
}

/** Whole percent of a packet sent, 0..100. */
export function percent(progress: PacketProgress): number {
  if (progress.bytesTotal <= 0) return 0;
  return Math.min(100, Math.floor((progress.bytesSent / progress.bytesTotal) * 100));
}

/** A wall-clock time (ms) as the officer reads it: hour and minute, with the date when not today. */
export function clockTime(ms: number, lang: 'vi' | 'en', now = Date.now()): string {
  const locale = lang === 'vi' ? 'vi-VN' : 'en-GB';
  const at = new Date(ms);
  const sameDay = new Date(now).toDateString() === at.toDateString();
  return new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    ...(sameDay ? {} : { day: '2-digit', month: '2-digit' }),
  }).format(at);
}

/** Whole minutes from `since` to `now` (ms), at least 0. */
export function minutesSince(since: number, now = Date.now()): number {
  return Math.max(0, Math.floor((now - since) / 60_000));
}
