import { afterEach, describe, expect, it } from 'vitest';
import { CanceledError } from '../../drivers/errors.ts';
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

  it('refuses a missing line with DEVICE_NOT_FOUND', async () => {
    await expect(new NativeSerialOpener().open('/dev/tty-cccd-missing', 57600)).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
  });
});
