import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuraColour,
  CONFIRMATION_TEXT,
  ConfirmationCode,
  collectImageData,
  DEFAULT_ADDRESS,
  DEFAULT_BAUD,
  DEFAULT_PASSWORD,
  decodeAck,
  decodeAuraLedParams,
  decodeCommand,
  decodePacket,
  decodePasswordParams,
  decodeSysParaParams,
  decodeSystemParameters,
  decodeTemplateCount,
  encodeAck,
  encodeAuraLedParams,
  encodeCommand,
  encodeDataPackets,
  encodePacket,
  encodePasswordParams,
  encodeSysParaParams,
  encodeSystemParameters,
  foldBytes,
  foldEnd,
  foldImagePacket,
  IMAGE_BYTES,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
  Instruction,
  imageTransferBytes,
  MAX_CONTENTS,
  PACKET_OVERHEAD,
  type Packet,
  type PacketOptions,
  Pid,
  packImage4bpp,
  STREAM_START,
  type StreamState,
  serialTimeMs,
  startImage,
  statusFlags,
  unpackImage4bpp,
} from '../../../protocol/r30x/packet.ts';
import { type DecodeError, unwrap } from '../../../protocol/result.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

/** "EF 01 FF" -> bytes. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(text.split(/\s+/).map((h) => Number.parseInt(h, 16)));
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Cuts bytes at the given offsets (any order, duplicates and out-of-range offsets allowed). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

/** Folds every chunk, then ends the stream; tracks the most bytes the state ever held. */
function run(chunks: readonly Uint8Array[], options: PacketOptions = {}) {
  let state: StreamState = STREAM_START;
  const packets: Packet[] = [];
  const errors: DecodeError[] = [];
  let maxPending = 0;
  for (const chunk of chunks) {
    const step = foldBytes(state, chunk, options);
    state = step.state;
    packets.push(...step.packets);
    errors.push(...step.errors);
    maxPending = Math.max(maxPending, state.pending.length);
  }
  const end = foldEnd(state);
  errors.push(...end.errors);
  return { packets, errors, maxPending, offset: end.state.offset };
}

const genImg = hex('EF 01 FF FF FF FF 01 00 03 01 00 05');
const okAck = hex('EF 01 FF FF FF FF 07 00 03 00 00 0A');
const sysParaAck = encodeAck(DEFAULT_ADDRESS, 0, hex('00 04 00 09 03 E8 00 03 FF FF FF FF 00 02 00 06'));
const dataPacket = encodePacket({
  address: DEFAULT_ADDRESS,
  pid: Pid.DATA,
  contents: Uint8Array.from({ length: 128 }, (_, i) => (i * 37) & 0xff),
});
const decoded = (bytes: Uint8Array) => unwrap(decodePacket(bytes));

describe('R30x packets', () => {
  it.each([
    ['GenImg', encodeCommand(DEFAULT_ADDRESS, Instruction.GenImg), 'EF 01 FF FF FF FF 01 00 03 01 00 05'],
    [
      'VfyPwd with password 0',
      encodeCommand(DEFAULT_ADDRESS, Instruction.VfyPwd, encodePasswordParams(DEFAULT_PASSWORD)),
      'EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B',
    ],
    ['UpImage', encodeCommand(DEFAULT_ADDRESS, Instruction.UpImage), 'EF 01 FF FF FF FF 01 00 03 0A 00 0E'],
    [
      'ReadSysPara',
      encodeCommand(DEFAULT_ADDRESS, Instruction.ReadSysPara),
      'EF 01 FF FF FF FF 01 00 03 0F 00 13',
    ],
    [
      'HandShake',
      encodeCommand(DEFAULT_ADDRESS, Instruction.HandShake),
      'EF 01 FF FF FF FF 01 00 03 40 00 44',
    ],
    [
      'AuraLedConfig breathing blue',
      encodeCommand(
        DEFAULT_ADDRESS,
        Instruction.AuraLedConfig,
        encodeAuraLedParams({ control: 'breathing', speed: 0x80, colour: AuraColour.blue, count: 0 }),
      ),
      'EF 01 FF FF FF FF 01 00 07 35 01 80 02 00 00 C0',
    ],
    // The address is not summed: the checksum is that of GenImg to the default address.
    [
      'GenImg to 0x12345678',
      encodeCommand(0x12345678, Instruction.GenImg),
      'EF 01 12 34 56 78 01 00 03 01 00 05',
    ],
    [
      'acknowledge OK',
      encodeAck(DEFAULT_ADDRESS, ConfirmationCode.OK),
      'EF 01 FF FF FF FF 07 00 03 00 00 0A',
    ],
    ['acknowledge no finger', encodeAck(DEFAULT_ADDRESS, 0x02), 'EF 01 FF FF FF FF 07 00 03 02 00 0C'],
  ])('encodes %s to the bytes computed by hand from the manual', (_, bytes, expected) => {
    expect([...bytes]).toEqual([...hex(expected)]);
    const packet = decoded(bytes);
    expect(encodePacket(packet)).toEqual(bytes);
  });

  it.each([
    // pid 0x02 + length 0x0103 = 6; 256 x 0xFF = 65280; the last byte brings the sum to the boundary.
    [Uint8Array.from({ length: 257 }, (_, i) => (i < 256 ? 0xff : 0xf9)), 0xffff],
    [Uint8Array.from({ length: 257 }, (_, i) => (i < 256 ? 0xff : 0xfa)), 0x0000],
    [Uint8Array.from({ length: 257 }, (_, i) => (i < 256 ? 0xff : 0xfb)), 0x0001],
    // 512 x 0xFF = 130560, + 2 + 0x02 + 0x02 = 0x1FE06: only the low 16 bits are sent.
    [new Uint8Array(MAX_CONTENTS).fill(0xff), 0xfe06],
    [new Uint8Array(0), 0x0004],
  ])('keeps the low 16 bits of the checksum (%#)', (contents, checksum) => {
    const bytes = encodePacket({ address: DEFAULT_ADDRESS, pid: Pid.DATA, contents });
    expect(bytes).toHaveLength(PACKET_OVERHEAD + contents.length);
    expect(((bytes.at(-2) ?? 0) << 8) | (bytes.at(-1) ?? 0)).toBe(checksum);
    expect(decoded(bytes).contents).toEqual(contents);
  });

  it('rejects every truncation, an extra byte and every changed byte the checksum covers', () => {
    const bytes = sysParaAck;
    for (let n = 0; n < bytes.length; n++)
      expect(decodePacket(bytes.subarray(0, n)), `prefix ${n}`).toMatchObject({
        ok: false,
        error: { reason: 'truncated' },
      });
    expect(decodePacket(concat(bytes, hex('00')))).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: bytes.length },
    });
    for (let at = 0; at < bytes.length; at++) {
      const bad = bytes.slice();
      bad[at] = (bad[at] ?? 0) ^ 0x10;
      const result = decodePacket(bad);
      // The address is outside the checksum: a changed address decodes, and the filter catches it.
      if (at >= 2 && at < 6) {
        expect(result.ok).toBe(true);
        expect(decodePacket(bad, { address: DEFAULT_ADDRESS })).toMatchObject({
          ok: false,
          error: { reason: 'invalid-value', offset: 2 },
        });
      } else expect(result.ok, `byte ${at} changed`).toBe(false);
    }
  });

  it('names the reason for a bad identifier, length or checksum', () => {
    expect(decodePacket(hex('EF 02 FF FF FF FF 01 00 03 01 00 05'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 1 },
    });
    expect(decodePacket(hex('EF 01 FF FF FF FF 05 00 03 01 00 09'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 6 },
    });
    expect(decodePacket(hex('EF 01 FF FF FF FF 01 00 01 02'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 7 },
    });
    expect(decodePacket(hex('EF 01 FF FF FF FF 01 02 03 00'))).toMatchObject({
      ok: false,
      error: { reason: 'too-large', offset: 7 },
    });
    expect(decodePacket(hex('EF 01 FF FF FF FF 01 00 03 01 00 06'))).toMatchObject({
      ok: false,
      error: { reason: 'checksum-mismatch', offset: 10 },
    });
    // A larger bound accepts what the default refuses.
    // Length 0x0203: 513 zero content bytes; checksum 0x01 + 0x02 + 0x03 = 0x0006.
    const packet = concat(hex('EF 01 FF FF FF FF 01 02 03'), new Uint8Array(513), hex('00 06'));
    expect(decodePacket(packet)).toMatchObject({ ok: false, error: { reason: 'too-large', offset: 7 } });
    expect(decodePacket(packet, { maxContents: 600 }).ok).toBe(true);
  });

  it('throws RangeError on packets the format cannot carry', () => {
    const contents = new Uint8Array(1);
    expect(() => encodePacket({ address: 2 ** 32, pid: Pid.COMMAND, contents })).toThrow(RangeError);
    expect(() => encodePacket({ address: -1, pid: Pid.COMMAND, contents })).toThrow(RangeError);
    expect(() => encodePacket({ address: 0, pid: 3 as typeof Pid.DATA, contents })).toThrow(RangeError);
    expect(() =>
      encodePacket({ address: 0, pid: Pid.DATA, contents: new Uint8Array(MAX_CONTENTS + 1) }),
    ).toThrow(RangeError);
    expect(() => encodeCommand(0, 0x100)).toThrow(RangeError);
    expect(() => encodeAck(0, -1)).toThrow(RangeError);
    expect(() => foldBytes(STREAM_START, contents, { maxContents: 70000 })).toThrow(RangeError);
  });
});

describe('R30x stream fold', () => {
  const stream = concat(genImg, sysParaAck, dataPacket, okAck);
  const expected = [genImg, sysParaAck, dataPacket, okAck].map(decoded);

  it('yields the same packets, and no error, for the stream split at every byte boundary', () => {
    expect(run([stream]).packets).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) {
      const result = run(split(stream, [cut]));
      expect(result.packets, `cut at ${cut}`).toEqual(expected);
      expect(result.errors).toEqual([]);
    }
    const bytewise = run(
      split(
        stream,
        Array.from(stream, (_, i) => i),
      ),
    );
    expect(bytewise.packets).toEqual(expected);
    expect(bytewise.errors).toEqual([]);
    expect(bytewise.offset).toBe(stream.length);
  });

  it('skips garbage before, between and after packets, and reports each run once', () => {
    const before = hex('00 EF 02 55');
    const between = hex('EF EF 13');
    const after = hex('01 02 EF');
    const bytes = concat(before, genImg, between, okAck, after);
    const betweenAt = before.length + genImg.length;
    const afterAt = betweenAt + between.length + okAck.length;

    for (const chunks of [
      [bytes],
      split(
        bytes,
        Array.from(bytes, (_, i) => i),
      ),
      split(bytes, [3, 17, 29]),
    ]) {
      const { packets, errors } = run(chunks);
      expect(packets).toEqual([decoded(genImg), decoded(okAck)]);
      expect(errors.map(({ reason, offset }) => ({ reason, offset }))).toEqual([
        { reason: 'invalid-value', offset: 0 },
        { reason: 'invalid-value', offset: betweenAt },
        { reason: 'invalid-value', offset: afterAt },
      ]);
      expect(errors[0]?.detail).toContain('4 bytes');
    }

    // Trailing garbage stays unreported until the driver ends the stream: more bytes may follow.
    const step = foldBytes(STREAM_START, bytes);
    expect(step.errors).toHaveLength(2);
    expect(step.state.pending).toEqual(hex('EF'));
    expect(foldEnd(step.state).errors).toMatchObject([{ reason: 'invalid-value', offset: afterAt }]);
  });

  it('reports a corrupted checksum once and recovers the next packet', () => {
    const bad = genImg.slice();
    bad[11] = 0x06;
    const { packets, errors } = run([concat(bad, okAck)]);
    expect(packets).toEqual([decoded(okAck)]);
    expect(errors).toMatchObject([{ reason: 'checksum-mismatch', offset: 10 }]);
  });

  it('loses only the damaged packet when a byte is dropped on the line', () => {
    const damaged = concat(sysParaAck.subarray(0, 12), sysParaAck.subarray(13));
    const { packets, errors } = run(split(concat(damaged, genImg, okAck), [5, 30]));
    expect(packets).toEqual([decoded(genImg), decoded(okAck)]);
    expect(errors.map((e) => e.reason)).toEqual(['checksum-mismatch']);
  });

  it('rejects a length above the bound without waiting for it, then resynchronises', () => {
    const huge = hex('EF 01 FF FF FF FF 02 FF FF 00 00');
    const { packets, errors, maxPending } = run(split(concat(huge, genImg), [4, 9, 10]));
    expect(packets).toEqual([decoded(genImg)]);
    expect(errors).toMatchObject([{ reason: 'too-large', offset: 7 }]);
    expect(maxPending).toBeLessThan(PACKET_OVERHEAD + MAX_CONTENTS);

    const small = run([concat(sysParaAck, okAck)], { maxContents: 16 });
    expect(small.packets).toEqual([decoded(okAck)]);
    expect(small.errors).toMatchObject([{ reason: 'too-large', offset: 7 }]);
  });

  it('rejects an unknown identifier, and a packet for another address when asked to', () => {
    const strange = hex('EF 01 FF FF FF FF 05 00 03 01 00 09');
    expect(run([concat(strange, okAck)])).toMatchObject({
      packets: [decoded(okAck)],
      errors: [{ reason: 'invalid-value', offset: 6 }],
    });
    const elsewhere = encodeCommand(0x12345678, Instruction.GenImg);
    const filtered = run([concat(elsewhere, genImg)], { address: DEFAULT_ADDRESS });
    expect(filtered.packets).toEqual([decoded(genImg)]);
    expect(filtered.errors).toMatchObject([{ reason: 'invalid-value', offset: 2 }]);
    expect(run([concat(elsewhere, genImg)]).packets).toHaveLength(2);
  });

  it('reports a packet cut short when the stream ends, and keeps counting offsets after', () => {
    const step = foldBytes(STREAM_START, concat(okAck, genImg.subarray(0, 7)));
    expect(step.packets).toEqual([decoded(okAck)]);
    expect(step.errors).toEqual([]);
    const end = foldEnd(step.state);
    expect(end.errors).toMatchObject([{ reason: 'truncated', offset: okAck.length + 7 }]);
    expect(end.state.offset).toBe(okAck.length + 7);
    const next = foldBytes(end.state, hex('00'));
    expect(foldEnd(next.state).errors).toMatchObject([{ reason: 'invalid-value', offset: okAck.length + 7 }]);
  });

  it('never changes the state it is given', () => {
    const first = foldBytes(STREAM_START, stream.subarray(0, 20));
    const again = foldBytes(first.state, stream.subarray(20));
    const twice = foldBytes(first.state, stream.subarray(20));
    expect(twice).toEqual(again);
    expect(first.state.pending).toHaveLength(20 - genImg.length);
  });

  it('never throws on random bytes and never holds more than one packet', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(3000), { maxLength: 40 }),
        fc.constantFrom(undefined, 0, 16, MAX_CONTENTS),
        (bytes, cuts, maxContents) => {
          const { errors, maxPending, offset } = run(split(bytes, cuts), { maxContents });
          expect(maxPending).toBeLessThan(PACKET_OVERHEAD + (maxContents ?? MAX_CONTENTS));
          expect(offset).toBe(bytes.length);
          for (const e of errors) expect(e.offset).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { seed, numRuns: 400 },
    );
  });

  it('finds the same packets and errors however the stream is chunked', () => {
    const packet = fc
      .record({
        address: fc.constantFrom(DEFAULT_ADDRESS, 0, 0x12345678),
        pid: fc.constantFrom(Pid.COMMAND, Pid.DATA, Pid.ACK, Pid.END),
        contents: fc.uint8Array({ maxLength: 300 }),
      })
      .map((p) => encodePacket(p));
    const piece = fc.oneof(packet, fc.uint8Array({ maxLength: 20 }), fc.constant(hex('EF 01')));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }),
        fc.array(fc.nat(4000), { maxLength: 30 }),
        (pieces, cuts) => {
          const bytes = concat(...pieces);
          const whole = run([bytes]);
          const chunked = run(split(bytes, cuts));
          expect(chunked.packets).toEqual(whole.packets);
          expect(chunked.errors).toEqual(whole.errors);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('recovers every packet from between garbage that holds no header byte, one error per run', () => {
    const garbage = fc.uint8Array({ maxLength: 30 }).map((g) => g.map((b) => (b === 0xef ? 0 : b)));
    const packet = fc
      .record({ pid: fc.constantFrom(Pid.ACK, Pid.DATA), contents: fc.uint8Array({ maxLength: 256 }) })
      .map(({ pid, contents }) => ({ address: DEFAULT_ADDRESS, pid, contents }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, packet), { maxLength: 8 }),
        garbage,
        fc.array(fc.nat(3000), { maxLength: 30 }),
        (pairs, tail, cuts) => {
          const bytes = concat(...pairs.flatMap(([g, p]) => [g, encodePacket(p)]), tail);
          const { packets, errors } = run(split(bytes, cuts));
          expect(packets).toEqual(pairs.map(([, p]) => p));
          const runs = [...pairs.map(([g]) => g), tail].filter((g) => g.length > 0).length;
          expect(errors).toHaveLength(runs);
          for (const e of errors) expect(e.reason).toBe('invalid-value');
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

describe('R30x commands and acknowledges', () => {
  it('uses the instruction codes of the manual', () => {
    expect(Instruction).toMatchObject({
      GenImg: 0x01,
      UpImage: 0x0a,
      DownImage: 0x0b,
      SetSysPara: 0x0e,
      ReadSysPara: 0x0f,
      VfyPwd: 0x13,
      TemplateNum: 0x1d,
      AuraLedConfig: 0x35,
      HandShake: 0x40,
      OpenLED: 0x50,
      CloseLED: 0x51,
    });
  });

  it('reads commands back on the simulator side', () => {
    const bytes = encodeCommand(DEFAULT_ADDRESS, Instruction.VfyPwd, encodePasswordParams(0xdeadbeef));
    const command = unwrap(decodeCommand(decoded(bytes)));
    expect(command.instruction).toBe(Instruction.VfyPwd);
    expect(unwrap(decodePasswordParams(command.params))).toBe(0xdeadbeef);
    expect(decodePasswordParams(hex('00 00 00'))).toMatchObject({
      ok: false,
      error: { reason: 'truncated' },
    });
    expect(decodePasswordParams(new Uint8Array(5))).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: 4 },
    });
    expect(decodeCommand(decoded(okAck))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 6 },
    });
    expect(decodeCommand({ address: 0, pid: Pid.COMMAND, contents: new Uint8Array(0) })).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 9 },
    });
    expect(() => encodePasswordParams(2 ** 32)).toThrow(RangeError);
  });

  it('round-trips the LED and system parameter settings and rejects values out of range', () => {
    const led = { control: 'flashing' as const, speed: 10, colour: AuraColour.red, count: 3 };
    expect([...encodeAuraLedParams(led)]).toEqual([2, 10, 1, 3]);
    expect(unwrap(decodeAuraLedParams(encodeAuraLedParams(led)))).toEqual(led);
    expect(decodeAuraLedParams(hex('07 00 01 00'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value' },
    });
    expect(() => encodeAuraLedParams({ ...led, speed: 256 })).toThrow(RangeError);

    expect([...encodeSysParaParams({ parameter: 'baud', value: 12 })]).toEqual([4, 12]);
    expect([...encodeSysParaParams({ parameter: 'packet-size', value: 3 })]).toEqual([6, 3]);
    expect(unwrap(decodeSysParaParams(hex('05 03')))).toEqual({ parameter: 'security-level', value: 3 });
    expect(decodeSysParaParams(hex('07 01'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 0 },
    });
    expect(decodeSysParaParams(hex('04 0D'))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 1 },
    });
    expect(() => encodeSysParaParams({ parameter: 'baud', value: 13 })).toThrow(RangeError);
    expect(() => encodeSysParaParams({ parameter: 'security-level', value: 0 })).toThrow(RangeError);
  });

  it('decodes acknowledges with their confirmation name and text', () => {
    expect(unwrap(decodeAck(decoded(okAck)))).toEqual({
      code: 0,
      name: 'OK',
      text: CONFIRMATION_TEXT.OK,
      data: new Uint8Array(0),
    });
    expect(unwrap(decodeAck(decoded(encodeAck(DEFAULT_ADDRESS, 0x02))))).toMatchObject({
      name: 'NO_FINGER',
      text: 'no finger on the sensor',
    });
    expect(unwrap(decodeAck(decoded(encodeAck(DEFAULT_ADDRESS, 0x13))))).toMatchObject({
      name: 'WRONG_PASSWORD',
    });
    expect(unwrap(decodeAck(decoded(encodeAck(DEFAULT_ADDRESS, 0x7e))))).toMatchObject({
      code: 0x7e,
      name: 'UNKNOWN',
      text: 'unknown confirmation code 0x7e',
    });
    expect(decodeAck(decoded(genImg))).toMatchObject({
      ok: false,
      error: { reason: 'invalid-value', offset: 6 },
    });
    expect(decodeAck({ address: 0, pid: Pid.ACK, contents: new Uint8Array(0) })).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 9 },
    });
  });

  it('has one distinct code and a text for every confirmation name', () => {
    const codes = Object.values(ConfirmationCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(CONFIRMATION_TEXT).sort()).toEqual(Object.keys(ConfirmationCode).sort());
    expect(ConfirmationCode).toMatchObject({
      OK: 0x00,
      PACKET_RECEIVE_ERROR: 0x01,
      NO_FINGER: 0x02,
      IMAGE_FAILED: 0x03,
      IMAGE_TOO_MESSY: 0x06,
      TOO_FEW_FEATURES: 0x07,
      IMAGE_UPLOAD_FAILED: 0x0f,
      WRONG_PASSWORD: 0x13,
      NO_VALID_IMAGE: 0x15,
    });
  });

  it('decodes the ReadSysPara block computed by hand, from a stream', () => {
    const { packets } = run(split(sysParaAck, [3, 11, 20]));
    const ack = unwrap(decodeAck(packets[0] as Packet));
    expect(ack.name).toBe('OK');
    const params = unwrap(decodeSystemParameters(ack.data));
    expect(params).toEqual({
      statusRegister: 4,
      systemId: 9,
      librarySize: 1000,
      securityLevel: 3,
      address: DEFAULT_ADDRESS,
      packetSize: 128,
      baud: DEFAULT_BAUD,
    });
    expect(statusFlags(params.statusRegister)).toEqual({
      busy: false,
      fingerMatched: false,
      passwordVerified: true,
      imageBufferValid: false,
    });
    expect(statusFlags(0xfff9)).toMatchObject({
      busy: true,
      imageBufferValid: true,
      passwordVerified: false,
    });
    expect(encodeSystemParameters(params)).toEqual(ack.data);
    expect(encodeSystemParameters({ ...params, packetSize: 32, baud: 115200 }).subarray(12)).toEqual(
      hex('00 00 00 0C'),
    );
    expect(() => encodeSystemParameters({ ...params, baud: 56000 })).toThrow(RangeError);
  });

  it('rejects a ReadSysPara block of the wrong size or with codes out of range', () => {
    const data = unwrap(decodeAck(decoded(sysParaAck))).data;
    expect(decodeSystemParameters(data.subarray(0, 15))).toMatchObject({
      ok: false,
      error: { reason: 'truncated' },
    });
    expect(decodeSystemParameters(concat(data, hex('00')))).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: 16 },
    });
    for (const [offset, value] of [
      [13, 4],
      [15, 0],
      [15, 13],
    ] as const) {
      const bad = data.slice();
      bad[offset] = value;
      expect(decodeSystemParameters(bad)).toMatchObject({
        ok: false,
        error: { reason: 'invalid-value', offset: offset - 1 },
      });
    }
  });

  it('decodes the TemplateNum count', () => {
    expect(unwrap(decodeTemplateCount(hex('01 2C')))).toBe(300);
    expect(decodeTemplateCount(hex('01'))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
  });

  it('never throws on random packets: every decoder returns a result', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(Pid.COMMAND, Pid.DATA, Pid.ACK, Pid.END),
        fc.uint8Array({ maxLength: 40 }),
        (pid, contents) => {
          const packet = { address: DEFAULT_ADDRESS, pid, contents };
          for (const result of [
            decodeAck(packet),
            decodeCommand(packet),
            decodeSystemParameters(contents),
            decodeTemplateCount(contents),
            decodePasswordParams(contents),
            decodeAuraLedParams(contents),
            decodeSysParaParams(contents),
            decodePacket(contents),
          ])
            expect(typeof result.ok).toBe('boolean');
        },
      ),
      { seed, numRuns: 500 },
    );
  });
});

describe('R30x image transfer', () => {
  it('packs two pixels per byte, the left one in the high nibble', () => {
    expect([...packImage4bpp(hex('00 FF 12 AB'), 4, 1)]).toEqual([0x0f, 0x1a]);
    expect([...unwrap(unpackImage4bpp(hex('0F 1A'), 4, 1))]).toEqual([0, 255, 17, 170]);
    expect(unpackImage4bpp(hex('0F'), 4, 1)).toMatchObject({
      ok: false,
      error: { reason: 'truncated', offset: 1 },
    });
    expect(unpackImage4bpp(hex('0F 1A 00'), 4, 1)).toMatchObject({
      ok: false,
      error: { reason: 'trailing-data', offset: 2 },
    });
    expect(() => packImage4bpp(new Uint8Array(3), 3, 1)).toThrow(RangeError);
    expect(() => packImage4bpp(new Uint8Array(6), 4, 1)).toThrow(RangeError);
    expect(() => unpackImage4bpp(new Uint8Array(2), 4, 0)).toThrow(RangeError);
  });

  it('round-trips: unpacking a packed image keeps the upper 4 bits of every pixel', () => {
    fc.assert(
      fc.property(
        fc
          .record({ halfWidth: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 8 }) })
          .chain(({ halfWidth, height }) =>
            fc.tuple(
              fc.constant(halfWidth * 2),
              fc.constant(height),
              fc.uint8Array({ minLength: halfWidth * 2 * height, maxLength: halfWidth * 2 * height }),
            ),
          ),
        ([width, height, pixels]) => {
          const packed = packImage4bpp(pixels, width, height);
          expect(packed).toHaveLength((width * height) / 2);
          expect(unwrap(unpackImage4bpp(packed, width, height))).toEqual(pixels.map((v) => (v >> 4) * 17));
          // The wire format itself survives unpack and pack unchanged.
          expect(packImage4bpp(unwrap(unpackImage4bpp(packed, width, height)), width, height)).toEqual(
            packed,
          );
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it.each([
    [32, 1152, 49_536],
    [64, 576, 43_200],
    [128, 288, 40_032],
    [256, 144, 38_448],
  ])(
    'sends a whole image in %s-byte packets (%s packets, %s bytes) that the stream fold reassembles',
    (size, count, total) => {
      const pixels = Uint8Array.from(
        { length: IMAGE_WIDTH * IMAGE_HEIGHT },
        (_, i) => (i * 7 + (i >> 8)) & 0xff,
      );
      const wire = encodeDataPackets(DEFAULT_ADDRESS, packImage4bpp(pixels, IMAGE_WIDTH, IMAGE_HEIGHT), size);
      expect(wire).toHaveLength(count);
      expect(wire.reduce((n, p) => n + p.length, 0)).toBe(total);
      expect(imageTransferBytes(size)).toBe(total);
      const bytes = concat(okAck, ...wire);
      const { packets, errors } = run(
        split(
          bytes,
          Array.from({ length: 60 }, (_, i) => i * 997),
        ),
      );
      expect(errors).toEqual([]);
      const [ack, ...data] = packets;
      expect(unwrap(decodeAck(ack as Packet)).name).toBe('OK');
      expect(data.map((p) => p.pid)).toEqual([...Array(count - 1).fill(Pid.DATA), Pid.END]);
      const image = unwrap(collectImageData(data));
      expect(image).toHaveLength(IMAGE_BYTES);
      expect(unwrap(unpackImage4bpp(image, IMAGE_WIDTH, IMAGE_HEIGHT))).toEqual(
        pixels.map((v) => (v >> 4) * 17),
      );
    },
  );

  it('takes about seven seconds at the factory baud rate', () => {
    expect(serialTimeMs(imageTransferBytes(128), DEFAULT_BAUD)).toBeCloseTo(6950, 0);
    expect(serialTimeMs(imageTransferBytes(256))).toBeCloseTo(6675, 0);
    expect(serialTimeMs(IMAGE_BYTES)).toBeCloseTo(6400, 0);
    expect(() => imageTransferBytes(100)).toThrow(RangeError);
  });

  describe('collection', () => {
    const chunk = (pid: typeof Pid.DATA | typeof Pid.END, length: number, fill = 0): Packet => ({
      address: DEFAULT_ADDRESS,
      pid,
      contents: new Uint8Array(length).fill(fill),
    });

    it('concatenates data packets in order up to the end packet', () => {
      const data = unwrap(
        collectImageData([chunk(Pid.DATA, 4, 1), chunk(Pid.DATA, 4, 2), chunk(Pid.END, 2, 3)], 10),
      );
      expect([...data]).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    });

    it('refuses more bytes than the image holds', () => {
      const full = Array.from({ length: IMAGE_BYTES / 128 }, (_, i) =>
        chunk(i === IMAGE_BYTES / 128 - 1 ? Pid.END : Pid.DATA, 128),
      );
      expect(collectImageData(full).ok).toBe(true);
      const over = [...full.slice(0, -1), chunk(Pid.DATA, 128), chunk(Pid.END, 1)];
      expect(collectImageData(over)).toMatchObject({
        ok: false,
        error: { reason: 'too-large', offset: IMAGE_BYTES },
      });
    });

    it('refuses a command or acknowledge in the middle of the data', () => {
      const command = decoded(genImg);
      expect(collectImageData([chunk(Pid.DATA, 4), command, chunk(Pid.END, 6)], 10)).toMatchObject({
        ok: false,
        error: { reason: 'invalid-value', offset: 4 },
      });
      expect(collectImageData([decoded(okAck), chunk(Pid.END, 10)], 10)).toMatchObject({
        ok: false,
        error: { reason: 'invalid-value', offset: 0 },
      });
    });

    it('reports an early end, a missing end and packets after the end', () => {
      expect(collectImageData([chunk(Pid.DATA, 4), chunk(Pid.END, 4)], 10)).toMatchObject({
        ok: false,
        error: { reason: 'truncated', offset: 8 },
      });
      expect(collectImageData([chunk(Pid.DATA, 4)], 10)).toMatchObject({
        ok: false,
        error: { reason: 'truncated', offset: 4 },
      });
      expect(collectImageData([chunk(Pid.END, 10), chunk(Pid.DATA, 1)], 10)).toMatchObject({
        ok: false,
        error: { reason: 'trailing-data', offset: 10 },
      });
    });

    it('folds one packet at a time without changing the state it is given', () => {
      const start = startImage(8);
      const first = foldImagePacket(start, chunk(Pid.DATA, 4, 5));
      if (first.kind !== 'partial') throw new Error(`expected partial, got ${first.kind}`);
      expect(start).toEqual({ parts: [], filled: 0, expected: 8 });
      const done = foldImagePacket(first.state, chunk(Pid.END, 4, 6));
      expect(done).toEqual({ kind: 'complete', data: hex('05 05 05 05 06 06 06 06') });
      expect(foldImagePacket(first.state, chunk(Pid.END, 4, 7))).toMatchObject({ kind: 'complete' });
      expect(() => startImage(-1)).toThrow(RangeError);
    });
  });
});
