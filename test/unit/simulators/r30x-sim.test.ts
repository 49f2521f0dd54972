/**
 * The simulated R30x module, driven from the host end of an in-memory line with the raw protocol
 * calls of protocol/r30x/packet.ts (the host-side driver is tested on its own). Lines run at a few
 * Mbit/s so image transfers take a tenth of a second; the pacing test checks a lower bound only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DisconnectedError } from '../../../drivers/errors.ts';
import type { SerialLink } from '../../../drivers/fingerprint/serial-port.ts';
import {
  type Ack,
  ConfirmationCode,
  collectImageData,
  DEFAULT_ADDRESS,
  decodeAck,
  decodeSystemParameters,
  decodeTemplateCount,
  encodeAuraLedParams,
  encodeCommand,
  encodePasswordParams,
  encodeSysParaParams,
  foldBytes,
  IMAGE_BYTES,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
  Instruction,
  imageTransferBytes,
  type Packet,
  Pid,
  STREAM_START,
  type StreamState,
  serialTimeMs,
  unpackImage4bpp,
} from '../../../protocol/r30x/packet.ts';
import type { DecodeError } from '../../../protocol/result.ts';
import { unwrap } from '../../../protocol/result.ts';
import { renderFinger } from '../../../simulators/fingerprint/generator.ts';
import {
  R30X_SCENARIOS,
  SimulatedR30xModule,
  type SimulatedR30xOptions,
  UNSUPPORTED_COMMAND,
} from '../../../simulators/scanner/r30x-sim.ts';
import { memoryLinePair } from '../../../simulators/serial/memory-line.ts';

const FAST = 4_000_000;
/** Packets of one 128-byte-packet image: 287 data packets and an end packet. */
const IMAGE_PACKETS = IMAGE_BYTES / 128;

/** The host's side of the line: raw commands out, packets and stream errors folded in. */
class Host {
  stream: StreamState = STREAM_START;
  packets: Packet[] = [];
  errors: DecodeError[] = [];
  received = 0;

  constructor(readonly link: SerialLink) {}

  async send(instruction: number, params?: Uint8Array, address = DEFAULT_ADDRESS): Promise<void> {
    await this.link.write(encodeCommand(address, instruction, params));
  }

  /** Reads and folds until `until()` holds or `timeoutMs` has passed. */
  async pump(until: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!until()) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      const chunk = await this.link.read(left);
      if (!chunk) return;
      this.received += chunk.length;
      const fold = foldBytes(this.stream, chunk);
      this.stream = fold.state;
      this.packets.push(...fold.packets);
      this.errors.push(...fold.errors);
    }
  }

  /** Sends one command and resolves its acknowledge. */
  async command(instruction: number, params?: Uint8Array): Promise<Ack> {
    await this.send(instruction, params);
    await this.pump(() => this.packets.length > 0, 5000);
    const packet = this.packets.shift();
    if (!packet) throw new Error(`no answer to instruction 0x${instruction.toString(16)}`);
    return unwrap(decodeAck(packet));
  }

  /** Sends UpImage and collects every packet up to the end packet (or until `timeoutMs`). */
  async upImage(timeoutMs = 3000): Promise<Packet[]> {
    await this.send(Instruction.UpImage);
    await this.pump(() => this.packets.some((p) => p.pid === Pid.END), timeoutMs);
    const packets = this.packets;
    this.packets = [];
    return packets;
  }
}

let sims: SimulatedR30xModule[] = [];
let links: SerialLink[] = [];

afterEach(async () => {
  for (const sim of sims) await sim.close();
  for (const link of links) await link.close();
  sims = [];
  links = [];
});

async function rig(options: SimulatedR30xOptions = {}, baudRate = 57_600) {
  const sim = new SimulatedR30xModule({ bitsPerSecond: FAST, genImgMs: 2, fingerDelayMs: 40, ...options });
  sims.push(sim);
  const link = await sim.open('sim:r30x', baudRate);
  links.push(link);
  return { sim, host: new Host(link) };
}

/** GenImg until the finger is on the glass; returns the confirmation codes seen. */
async function captureImage(host: Host): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const { code } = await host.command(Instruction.GenImg);
    codes.push(code);
    if (code !== ConfirmationCode.NO_FINGER) return codes;
  }
  throw new Error('the finger never landed');
}

function dataOf(packets: readonly Packet[]): Packet[] {
  return packets.filter((p) => p.pid === Pid.DATA || p.pid === Pid.END);
}

/** Pixels of an uploaded image that differ from the top nibbles of the print the generator renders. */
function printMismatches(
  bytes: Uint8Array,
  print: { personSeed: number; finger: number; impression: number; condition?: string },
): number {
  const rendered = renderFinger({ condition: 'good', ...print, width: IMAGE_WIDTH, height: IMAGE_HEIGHT });
  const pixels = unwrap(unpackImage4bpp(bytes, IMAGE_WIDTH, IMAGE_HEIGHT));
  let mismatches = 0;
  for (let i = 0; i < rendered.image.pixels.length; i++)
    if (pixels[i] !== ((rendered.image.pixels[i] ?? 0) >> 4) * 17) mismatches++;
  return mismatches;
}

describe('SimulatedR30xModule', () => {
  it('declares the scenarios in order, good first', () => {
    const sim = new SimulatedR30xModule();
    expect(sim.name).toBe('scanner-serial');
    expect(sim.scenarios[0]).toBe('good');
    expect(sim.scenario()).toBe('good');
    expect(R30X_SCENARIOS).toContain('unplug-mid-transfer');
    expect(() => sim.setScenario('on-fire')).toThrow(RangeError);
    expect(() => new SimulatedR30xModule({ packetSize: 100 as 128 })).toThrow(RangeError);
  });

  it('accepts the factory password and refuses a wrong one', async () => {
    const { host } = await rig();
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0))).name).toBe('OK');
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(1))).name).toBe('WRONG_PASSWORD');
  });

  it('with a set password, answers 0x21 until VfyPwd succeeds', async () => {
    const { host } = await rig({ password: 0x12345678 });
    expect((await host.command(Instruction.GenImg)).name).toBe('PASSWORD_REQUIRED');
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0))).name).toBe('WRONG_PASSWORD');
    expect((await host.command(Instruction.ReadSysPara)).name).toBe('PASSWORD_REQUIRED');
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0x12345678))).name).toBe('OK');
    const params = unwrap(decodeSystemParameters((await host.command(Instruction.ReadSysPara)).data));
    expect(params.statusRegister & 0b100).toBe(0b100);
  });

  it("'wrong-password' refuses even the right password", async () => {
    const { sim, host } = await rig();
    sim.setScenario('wrong-password');
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0))).code).toBe(0x13);
  });

  it("'wrong-password' set on a module already verified: like a module holding another password, it answers 0x21 to everything but VfyPwd", async () => {
    const { sim, host } = await rig({ password: 0x12345678 });
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0x12345678))).name).toBe('OK');
    sim.setScenario('wrong-password');
    expect((await host.command(Instruction.GenImg)).code).toBe(0x21);
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0x12345678))).code).toBe(0x13);
    expect((await host.command(Instruction.ReadSysPara)).code).toBe(0x21);
    // The factory password (0) is no way round it either.
    const { sim: factory, host: other } = await rig();
    factory.setScenario('wrong-password');
    expect((await other.command(Instruction.HandShake)).code).toBe(0x21);
    sim.setScenario('good');
    expect((await host.command(Instruction.VfyPwd, encodePasswordParams(0x12345678))).name).toBe('OK');
    expect((await host.command(Instruction.HandShake)).name).toBe('OK');
  });

  it('reports its system parameters', async () => {
    const { host } = await rig({ address: 0xcafe0001 }, 57_600);
    await host.send(Instruction.ReadSysPara, undefined, 0xcafe0001);
    await host.pump(() => host.packets.length > 0, 2000);
    const packet = host.packets.shift();
    expect(packet?.address).toBe(0xcafe0001);
    const ack = unwrap(decodeAck(packet as Packet));
    expect(ack.name).toBe('OK');
    expect(unwrap(decodeSystemParameters(ack.data))).toEqual({
      statusRegister: 0,
      systemId: 9,
      librarySize: 1000,
      securityLevel: 3,
      address: 0xcafe0001,
      packetSize: 128,
      baud: 57_600,
    });
  });

  it.each([
    [115_200, 256, 115_200],
    [9600, 32, 9600],
    [250_000, 64, 57_600],
  ] as const)('on a %i bit/s line with %i-byte packets reports %i bit/s', async (line, packetSize, baud) => {
    const { host } = await rig({ packetSize }, line);
    const params = unwrap(decodeSystemParameters((await host.command(Instruction.ReadSysPara)).data));
    expect(params.packetSize).toBe(packetSize);
    expect(params.baud).toBe(baud);
  });

  it('answers HandShake, TemplateNum, LED commands, SetSysPara, and 0xFC to the unknown', async () => {
    const { sim, host } = await rig();
    expect((await host.command(Instruction.HandShake)).name).toBe('OK');
    expect(unwrap(decodeTemplateCount((await host.command(Instruction.TemplateNum)).data))).toBe(0);
    expect((await host.command(Instruction.OpenLED)).name).toBe('OK');
    const aura = { control: 'breathing', speed: 100, colour: 2, count: 0 } as const;
    expect((await host.command(Instruction.AuraLedConfig, encodeAuraLedParams(aura))).name).toBe('OK');
    expect(sim.snapshot()).toMatchObject({ leds: { light: 'on', aura } });
    expect((await host.command(Instruction.CloseLED)).name).toBe('OK');
    expect(sim.snapshot()).toMatchObject({ leds: { light: 'off' } });
    const setting = encodeSysParaParams({ parameter: 'packet-size', value: 3 });
    expect((await host.command(Instruction.SetSysPara, setting)).name).toBe('OK');
    const params = unwrap(decodeSystemParameters((await host.command(Instruction.ReadSysPara)).data));
    expect(params.packetSize).toBe(256);
    expect((await host.command(Instruction.SetSysPara, Uint8Array.of(9, 1))).name).toBe('BAD_REGISTER');
    expect((await host.command(0x3f)).code).toBe(UNSUPPORTED_COMMAND);
  });

  it('answers a command with a bad checksum with 0x01, and ignores bytes outside packets', async () => {
    const { host } = await rig();
    const bad = encodeCommand(DEFAULT_ADDRESS, Instruction.ReadSysPara);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    await host.link.write(Uint8Array.of(0x00, 0x55, 0xaa));
    await host.link.write(bad);
    await host.pump(() => host.packets.length > 0, 2000);
    expect(unwrap(decodeAck(host.packets.shift() as Packet)).name).toBe('PACKET_RECEIVE_ERROR');
    await host.pump(() => false, 100);
    expect(host.packets).toEqual([]);
  });

  it('does not answer commands for another address', async () => {
    const { host } = await rig();
    await host.send(Instruction.ReadSysPara, undefined, 0x12345678);
    await host.pump(() => host.packets.length > 0, 150);
    expect(host.received).toBe(0);
    expect((await host.command(Instruction.ReadSysPara)).name).toBe('OK');
  });

  it('answers NO_FINGER until the finger lands, then OK, and marks the image buffer valid', async () => {
    const { sim, host } = await rig({ fingerDelayMs: 150, genImgMs: 5 });
    const started = performance.now();
    const codes = await captureImage(host);
    const elapsed = performance.now() - started;
    expect(codes[0]).toBe(ConfirmationCode.NO_FINGER);
    expect(codes.at(-1)).toBe(ConfirmationCode.OK);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    const params = unwrap(decodeSystemParameters((await host.command(Instruction.ReadSysPara)).data));
    expect(params.statusRegister & 0b1000).toBe(0b1000);
    expect(sim.snapshot()).toMatchObject({ captures: 1, fingerState: 'placed', imageBufferValid: true });
  });

  it("'no-finger' never sees a finger; 'image-fail' fails once it lands", async () => {
    const { sim, host } = await rig({ fingerDelayMs: 20 });
    sim.setScenario('no-finger');
    for (let i = 0; i < 5; i++) {
      expect((await host.command(Instruction.GenImg)).name).toBe('NO_FINGER');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    sim.setScenario('image-fail');
    const codes = await captureImage(host);
    expect(codes.at(-1)).toBe(ConfirmationCode.IMAGE_FAILED);
    expect((await host.command(Instruction.UpImage)).name).toBe('NO_VALID_IMAGE');
  });

  it('refuses UpImage before any image with 0x15', async () => {
    const { host } = await rig();
    expect((await host.command(Instruction.UpImage)).code).toBe(0x15);
  });

  it('uploads the rendered print as 36,864 bytes of 4-bit pixels, then the finger lifts', async () => {
    const { sim, host } = await rig({ personSeed: 7, finger: 3 });
    await captureImage(host);
    const packets = await host.upImage();
    expect(unwrap(decodeAck(packets[0] as Packet)).name).toBe('OK');
    const data = dataOf(packets);
    expect(data).toHaveLength(IMAGE_PACKETS);
    expect(data.slice(0, -1).every((p) => p.pid === Pid.DATA && p.contents.length === 128)).toBe(true);
    expect(host.errors).toEqual([]);
    const bytes = unwrap(collectImageData(data));
    expect(bytes.length).toBe(36_864);

    const pixels = unwrap(unpackImage4bpp(bytes, IMAGE_WIDTH, IMAGE_HEIGHT));
    expect(printMismatches(bytes, { personSeed: 7, finger: 3, impression: 1 })).toBe(0);
    expect(new Set(pixels).size).toBeGreaterThan(8); // a print, not a blank buffer

    // Lifted: the next GenImg starts a new impression, after the finger lands again.
    expect((await host.command(Instruction.GenImg)).name).toBe('NO_FINGER');
    await captureImage(host);
    expect(sim.snapshot()).toMatchObject({ captures: 2, transfers: 1 });
    const second = unwrap(collectImageData(dataOf(await host.upImage())));
    expect(Buffer.from(second).equals(Buffer.from(bytes))).toBe(false);
  });

  it('renders the skin condition the scenario names', async () => {
    const { sim, host } = await rig();
    sim.setScenario('smudged');
    await captureImage(host);
    const bytes = unwrap(collectImageData(dataOf(await host.upImage())));
    expect(printMismatches(bytes, { personSeed: 1, finger: 2, impression: 1, condition: 'smudged' })).toBe(0);
    expect(printMismatches(bytes, { personSeed: 1, finger: 2, impression: 1 })).toBeGreaterThan(1000);
  });

  it('paces its bytes: an image takes at least its time on the wire', async () => {
    const bitsPerSecond = 1_000_000;
    const { host } = await rig({ bitsPerSecond, packetSize: 256 });
    await captureImage(host);
    const started = performance.now();
    const packets = await host.upImage();
    const elapsed = performance.now() - started;
    expect(dataOf(packets)).toHaveLength(IMAGE_BYTES / 256);
    expect(elapsed).toBeGreaterThanOrEqual(serialTimeMs(12 + imageTransferBytes(256), bitsPerSecond));
  });

  it('answers a command sent during an upload after the upload (it does not listen while sending)', async () => {
    const { host } = await rig();
    await captureImage(host);
    await host.send(Instruction.UpImage);
    await host.send(Instruction.ReadSysPara);
    await host.pump(() => host.packets.filter((p) => p.pid === Pid.ACK).length === 2, 3000);
    const pids = host.packets.map((p) => p.pid);
    expect(pids).toHaveLength(1 + IMAGE_PACKETS + 1);
    expect(pids.at(-2)).toBe(Pid.END);
    expect(pids.at(-1)).toBe(Pid.ACK);
  });

  it("'bad-checksum' sends exactly one data packet that fails its checksum", async () => {
    const { sim, host } = await rig();
    await captureImage(host);
    sim.setScenario('bad-checksum');
    const packets = await host.upImage();
    expect(host.errors.map((e) => e.reason)).toEqual(['checksum-mismatch']);
    expect(dataOf(packets)).toHaveLength(IMAGE_PACKETS - 1);
    expect(collectImageData(dataOf(packets)).ok).toBe(false);
  });

  it("'garbage' puts noise on the line that the stream parser reports and skips", async () => {
    const { sim, host } = await rig();
    await captureImage(host);
    sim.setScenario('garbage');
    const before = host.received;
    const packets = await host.upImage();
    expect(host.errors.length).toBeGreaterThan(0);
    expect(host.received - before).toBe(12 + imageTransferBytes(128) + 40);
    // Noise between packets costs no image data.
    expect(collectImageData(dataOf(packets)).ok).toBe(true);
  });

  it("'stall' sends about half the image, then nothing until the next command", async () => {
    const { sim, host } = await rig();
    await captureImage(host);
    sim.setScenario('stall');
    await host.send(Instruction.UpImage);
    await host.pump(() => dataOf(host.packets).length > IMAGE_PACKETS * 0.4, 3000);
    await host.pump(() => false, 300); // whatever else the module was going to send
    const data = dataOf(host.packets);
    expect(data.some((p) => p.pid === Pid.END)).toBe(false);
    expect(data.length).toBeGreaterThan(IMAGE_PACKETS * 0.4);
    expect(data.length).toBeLessThan(IMAGE_PACKETS * 0.6);
    host.packets = [];
    expect((await host.command(Instruction.ReadSysPara)).name).toBe('OK');
  });

  it("'unplug-mid-transfer' disconnects half way, refuses opens, and is back 200 ms later", async () => {
    const { sim, host } = await rig();
    await captureImage(host);
    sim.setScenario('unplug-mid-transfer');
    await host.send(Instruction.UpImage);
    await expect(host.pump(() => false, 3000)).rejects.toBeInstanceOf(DisconnectedError);
    const data = dataOf(host.packets);
    expect(data.length).toBeGreaterThan(IMAGE_PACKETS * 0.4);
    expect(data.length).toBeLessThan(IMAGE_PACKETS * 0.6);
    await expect(sim.open('sim:r30x', 57_600)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(sim.snapshot()).toMatchObject({ plugged: false, attached: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    sim.setScenario('good');
    const link = await sim.open('sim:r30x', 57_600);
    links.push(link);
    const again = new Host(link);
    const params = unwrap(decodeSystemParameters((await again.command(Instruction.ReadSysPara)).data));
    expect(params.statusRegister & 0b1000).toBe(0); // the image buffer did not survive the power cut
  });

  it("the 'unplug' action disconnects the host until 'plug'", async () => {
    const { sim, host } = await rig();
    const action = (name: string) => sim.actions.find((a) => a.name === name)?.run({});
    await action('unplug');
    await expect(host.link.read(1000)).rejects.toBeInstanceOf(DisconnectedError);
    await expect(host.link.write(encodeCommand(DEFAULT_ADDRESS, Instruction.GenImg))).rejects.toBeInstanceOf(
      DisconnectedError,
    );
    await expect(sim.open('sim:r30x', 57_600)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await action('plug');
    const link = await sim.open('sim:r30x', 57_600);
    links.push(link);
    expect((await new Host(link).command(Instruction.HandShake)).name).toBe('OK');
  });

  it('opens only its own path, one line at a time', async () => {
    const { sim, host } = await rig();
    await expect(sim.open('/dev/ttyUSB0', 57_600)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await expect(sim.open('sim:r30x', 57_600)).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    await host.link.close();
    const link = await sim.open('sim:r30x', 57_600);
    links.push(link);
    expect((await new Host(link).command(Instruction.HandShake)).name).toBe('OK');
  });

  it("'slow-device' keeps GenImg busy; closing the port frees the module for a new open at once", async () => {
    const { sim, host } = await rig();
    sim.setScenario('slow-device');
    await host.send(Instruction.GenImg);
    await host.pump(() => false, 300);
    expect(host.received).toBe(0);
    await host.link.close();
    const link = await sim.open('sim:r30x', 57_600);
    links.push(link);
    sim.setScenario('good');
    expect((await new Host(link).command(Instruction.HandShake)).name).toBe('OK');
  });

  it('serves a line given to attach() until detach()', async () => {
    const sim = new SimulatedR30xModule({ bitsPerSecond: FAST });
    sims.push(sim);
    const { host: hostEnd, device } = memoryLinePair('/dev/pts/9', 57_600);
    links.push(hostEnd, device);
    sim.attach(device);
    expect(() => sim.attach(device)).toThrow(expect.objectContaining({ code: 'DEVICE_BUSY' }));
    const host = new Host(hostEnd);
    expect((await host.command(Instruction.HandShake)).name).toBe('OK');
    expect(sim.snapshot()).toMatchObject({ attached: true, bitsPerSecond: FAST });
    sim.detach();
    await host.send(Instruction.HandShake);
    await host.pump(() => false, 300);
    expect(host.packets).toEqual([]);
    await sim.close();
    sim.attach(device);
    expect((await host.command(Instruction.HandShake)).name).toBe('OK');
  });

  it("'set-person' changes whose finger lands next", async () => {
    const { sim, host } = await rig();
    await sim.actions.find((a) => a.name === 'set-person')?.run({ personSeed: 42 });
    expect(sim.snapshot()).toMatchObject({ personSeed: 42 });
    await captureImage(host);
    const bytes = unwrap(collectImageData(dataOf(await host.upImage())));
    expect(printMismatches(bytes, { personSeed: 42, finger: 2, impression: 1 })).toBe(0);
    await expect(
      sim.actions.find((a) => a.name === 'set-person')?.run({ personSeed: -1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
