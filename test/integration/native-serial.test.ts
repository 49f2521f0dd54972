import { afterEach, describe, expect, it } from 'vitest';
import { CanceledError, DisconnectedError } from '../../drivers/errors.ts';
import { NativeSerialOpener } from '../../drivers/fingerprint/native-serial.ts';
import type { SerialLink } from '../../drivers/fingerprint/serial-port.ts';
import { type PtyPair, startPtyPair } from '../support/socat.ts';

let pair: PtyPair | undefined;
const links: SerialLink[] = [];

afterEach(async () => {
  for (const link of links.splice(0)) await link.close();
  await pair?.stop();
  pair = undefined;
});

async function readAll(link: SerialLink, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const chunk = await link.read(2000);
    if (!chunk) throw new Error(`timed out after ${at} of ${length} bytes`);
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

describe('serialport adapter over a socat pty pair', () => {
  it('carries bytes both ways, unchanged and in order', async () => {
    pair = await startPtyPair();
    const opener = new NativeSerialOpener();
    const host = await opener.open(pair.a, 57600);
    const device = await opener.open(pair.b, 57600);
    links.push(host, device);
    const payload = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    const received = readAll(device, payload.length);
    await host.write(payload);
    expect(await received).toEqual(payload);
    await device.write(Uint8Array.of(0xef, 0x01, 0xff));
    expect(await readAll(host, 3)).toEqual(Uint8Array.of(0xef, 0x01, 0xff));
    expect(host.overruns).toBe(0);
  });

  it('times out a read with undefined, and rejects a pending read with CanceledError on close', async () => {
    pair = await startPtyPair();
    const link = await new NativeSerialOpener().open(pair.a, 57600);
    expect(await link.read(30)).toBeUndefined();
    const pending = expect(link.read(5000)).rejects.toBeInstanceOf(CanceledError);
    await link.close();
    await pending;
  });

  it('tells its disconnect listener once when the line goes away by itself (socat stopped), on both ends', async () => {
    pair = await startPtyPair();
    const opener = new NativeSerialOpener();
    const a = await opener.open(pair.a, 57600);
    const b = await opener.open(pair.b, 57600);
    links.push(a, b);
    const heard = { a: [] as DisconnectedError[], b: [] as DisconnectedError[] };
    a.onDisconnect((error) => heard.a.push(error));
    b.onDisconnect((error) => heard.b.push(error));
    await pair.stop();
    pair = undefined;
    for (let i = 0; i < 100 && (heard.a.length === 0 || heard.b.length === 0); i++)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    expect(heard.a).toHaveLength(1);
    expect(heard.b).toHaveLength(1);
    expect(heard.a[0]).toBeInstanceOf(DisconnectedError);
    await expect(a.read(100)).rejects.toBeInstanceOf(DisconnectedError);
  });

  it('does not call the disconnect listener for its own close', async () => {
    pair = await startPtyPair();
    const link = await new NativeSerialOpener().open(pair.a, 57600);
    let heard = 0;
    link.onDisconnect(() => heard++);
    await link.close();
    await pair.stop();
    pair = undefined;
    await new Promise((r) => setTimeout(r, 400));
    expect(heard).toBe(0);
  });

  it('refuses a missing line with DEVICE_NOT_FOUND', async () => {
    await expect(new NativeSerialOpener().open('/dev/tty-cccd-missing', 57600)).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
  });
});
