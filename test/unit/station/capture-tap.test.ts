import { describe, expect, it } from 'vitest';
import type {
  CaptureEvent,
  CaptureOptions,
  FingerprintScanner,
} from '../../../drivers/fingerprint/scanner.ts';
import { CaptureTap, type TapEvent } from '../../../station/streams/capture-tap.ts';

/** A scanner stand-in: records the options of each capture and plays `script` (then throws `fail`). */
function fakeScanner(script: CaptureEvent[], fail?: Error) {
  const asked: CaptureOptions[] = [];
  const scanner = {
    id: 'scanner-x',
    async *capture(options: CaptureOptions): AsyncGenerator<CaptureEvent> {
      asked.push(options);
      for (const event of script) {
        await Promise.resolve();
        yield event;
      }
      if (fail) throw fail;
    },
  };
  return { scanner: scanner as unknown as FingerprintScanner, asked };
}

const preview = { sequence: 0, fingers: 1, width: 4, height: 4, pixels: new Uint8Array(16) };
const image = { pixels: new Uint8Array(1) } as unknown as Extract<CaptureEvent, { type: 'result' }>['image'];
const SCRIPT: CaptureEvent[] = [
  { type: 'status', status: 'waiting-for-finger' },
  { type: 'preview', preview },
  { type: 'status', status: 'capturing' },
  { type: 'result', image },
];

async function drain(events: AsyncIterable<CaptureEvent>): Promise<CaptureEvent[]> {
  const out: CaptureEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('CaptureTap', () => {
  it("passes the caller every event and tells the device's listeners, never the image", async () => {
    const { scanner } = fakeScanner(SCRIPT);
    const tap = new CaptureTap();
    tap.attach(scanner);
    const heard: TapEvent[] = [];
    tap.listen('scanner-x', (event) => heard.push(event));
    const other: TapEvent[] = [];
    tap.listen('scanner-y', (event) => other.push(event));
    expect(await drain(scanner.capture({ mode: 'flat-single', timeoutMs: 1000 }))).toEqual(SCRIPT);
    expect(heard.map((e) => e.type)).toEqual(['started', 'status', 'preview', 'status', 'ended']);
    expect(heard.at(-1)).toEqual({ type: 'ended', outcome: 'result' });
    expect(JSON.stringify(heard)).not.toContain('"image"');
    expect(other).toEqual([]);
  });

  it('asks for previews only while a listener wants them and the caller did not say', async () => {
    const { scanner, asked } = fakeScanner(SCRIPT);
    const tap = new CaptureTap();
    tap.attach(scanner);
    await drain(scanner.capture({ mode: 'flat-single', timeoutMs: 1000 }));
    const stop = tap.listen('scanner-x', () => {}, { previews: true });
    await drain(scanner.capture({ mode: 'flat-single', timeoutMs: 1000 }));
    await drain(scanner.capture({ mode: 'flat-single', timeoutMs: 1000, preview: false }));
    stop();
    await drain(scanner.capture({ mode: 'flat-single', timeoutMs: 1000 }));
    expect(asked.map((o) => o.preview)).toEqual([undefined, true, false, undefined]);
    expect(tap.listeners('scanner-x')).toBe(0);
  });

  it("tells a failed capture's code, rethrows it to the caller, and comes off again", async () => {
    const failure = Object.assign(new Error('no finger'), { code: 'DEVICE_TIMEOUT' });
    const { scanner } = fakeScanner(SCRIPT.slice(0, 1), failure);
    const original = scanner.capture;
    const tap = new CaptureTap();
    const detach = tap.attach(scanner);
    const heard: TapEvent[] = [];
    tap.listen('scanner-x', (event) => {
      heard.push(event);
      throw new Error('a broken stream');
    });
    await expect(drain(scanner.capture({ mode: 'flat-single', timeoutMs: 1000 }))).rejects.toBe(failure);
    expect(heard.at(-1)).toEqual({ type: 'ended', outcome: 'failed', code: 'DEVICE_TIMEOUT' });
    detach();
    expect(scanner.capture).toBe(original);
  });

  it('tells a capture the caller left early as stopped', async () => {
    const { scanner } = fakeScanner(SCRIPT);
    const tap = new CaptureTap();
    tap.attach(scanner);
    const heard: TapEvent[] = [];
    tap.listen('scanner-x', (event) => heard.push(event));
    for await (const event of scanner.capture({ mode: 'flat-single', timeoutMs: 1000 }))
      if (event.type === 'status') break;
    expect(heard.at(-1)).toEqual({ type: 'ended', outcome: 'stopped' });
  });
});
