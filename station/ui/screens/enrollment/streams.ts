/**
 * The live previews the enrollment screens show, from the station's server-sent event streams
 * (station/plugins/streams.ts): the camera's frames with the portrait feedback, and the scanner's
 * preview frames with their quality while a capture runs. The browser's EventSource reconnects by
 * itself after a lost connection (a station restart included).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Bilingual } from '../../api.ts';

export interface CameraLive {
  readonly frame: string | undefined;
  readonly accepted: boolean | undefined;
  readonly feedback: readonly { readonly code: string; readonly message: Bilingual }[];
  readonly face:
    | { readonly x: number; readonly y: number; readonly width: number; readonly height: number }
    | undefined;
  readonly size: { readonly width: number; readonly height: number } | undefined;
}

interface PortraitEvent {
  readonly width: number;
  readonly height: number;
  readonly decision: { readonly accepted: boolean; readonly feedback: CameraLive['feedback'] };
  readonly face: { readonly box: { x: number; y: number; width: number; height: number } } | null;
}

/** The camera's frames (at most `fps` a second) and the live portrait feedback. */
export function useCameraLive(cameraId: string | undefined, fps = 5): CameraLive {
  const [live, setLive] = useState<CameraLive>({
    frame: undefined,
    accepted: undefined,
    feedback: [],
    face: undefined,
    size: undefined,
  });
  useEffect(() => {
    if (cameraId === undefined) return;
    const source = new EventSource(
      `/streams/camera/${encodeURIComponent(cameraId)}/preview?portrait=true&fps=${fps}`,
    );
    source.addEventListener('frame', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { image: { jpeg: string } };
      setLive((old) => ({ ...old, frame: `data:image/jpeg;base64,${data.image.jpeg}` }));
    });
    source.addEventListener('portrait', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as PortraitEvent;
      setLive((old) => ({
        ...old,
        accepted: data.decision.accepted,
        feedback: data.decision.feedback,
        face: data.face?.box,
        size: { width: data.width, height: data.height },
      }));
    });
    return () => source.close();
  }, [cameraId, fps]);
  return live;
}

export interface ScannerLive {
  readonly frame: string | undefined;
  readonly status: string | undefined;
  readonly quality: number | undefined;
  readonly advice: Bilingual | undefined;
  /** Frames received in the current capture, and their rate (frames/s between the first and the last). */
  readonly frames: number;
  readonly fps: number;
}

interface PreviewEvent {
  readonly image: { readonly jpeg: string };
  readonly quality: { readonly quality: number } | null;
  readonly advice: Bilingual | null;
}

/** The scanner's preview frames while a capture runs; counts restart with each capture. */
export function useScannerLive(scannerId: string | undefined): ScannerLive {
  const [live, setLive] = useState<ScannerLive>({
    frame: undefined,
    status: undefined,
    quality: undefined,
    advice: undefined,
    frames: 0,
    fps: 0,
  });
  const timing = useRef({ first: 0, last: 0, count: 0 });
  useEffect(() => {
    if (scannerId === undefined) return;
    const source = new EventSource(`/streams/scanner/${encodeURIComponent(scannerId)}/preview`);
    source.addEventListener('capture', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { type: string };
      if (data.type === 'started') {
        timing.current = { first: 0, last: 0, count: 0 };
        setLive((old) => ({ ...old, frames: 0, fps: 0, status: 'started' }));
      } else if (data.type === 'ended') setLive((old) => ({ ...old, status: 'ended' }));
    });
    source.addEventListener('status', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { status: string };
      setLive((old) => ({ ...old, status: data.status }));
    });
    source.addEventListener('preview', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as PreviewEvent;
      const now = performance.now();
      const t = timing.current;
      if (t.count === 0) t.first = now;
      t.last = now;
      t.count += 1;
      const fps = t.count > 1 && t.last > t.first ? ((t.count - 1) * 1000) / (t.last - t.first) : 0;
      setLive((old) => ({
        ...old,
        frame: `data:image/jpeg;base64,${data.image.jpeg}`,
        quality: data.quality?.quality,
        advice: data.advice ?? undefined,
        frames: t.count,
        fps,
      }));
    });
    return () => source.close();
  }, [scannerId]);
  return live;
}
