/**
 * The card-reader driver over the in-process PC/SC simulator: reader and card events, the T=0
 * procedure (61xx / GET RESPONSE, 6Cxx), timeouts, cards pulled mid-transaction, one command at a
 * time. Also the pure parts of the vpcd link and the native adapter (framing, ATR protocols, PC/SC
 * part 10 answers, error mapping), which need no pcscd.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BusyError,
  CanceledError,
  CardRemovedError,
  DeviceTimeoutError,
  DeviceUnavailableError,
  DisconnectedError,
  DriverError,
  ProtocolError,
} from '../../../drivers/errors.ts';
import {
  CardReaderDevice,
  type CardReaderEvent,
  type CardReaderOptions,
} from '../../../drivers/smartcard/card-reader.ts';
import {
  CM_IOCTL_GET_FEATURE_REQUEST,
  classifyPcscError,
  FEATURE_GET_TLV_PROPERTIES,
  featureControlCode,
  PROPERTY_MAX_APDU_DATA_SIZE,
  tlvProperty,
} from '../../../drivers/smartcard/native-pcsc.ts';
import type { CardConnection, PcscPort } from '../../../drivers/smartcard/port.ts';
import { decodeCommand } from '../../../protocol/iso7816/apdu.ts';
import { InProcessPcsc } from '../../../simulators/card/in-process-pcsc.ts';
import {
  type ApduTrace,
  atrProtocols,
  encodeVpcdFrame,
  type SimulatedCardOptions,
  VpcdFrameReader,
} from '../../../simulators/card/vpcd-link.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

/** T=1 only: TD1 = 01, historical bytes "VIRTCARD", TCK. */
const ATR_T1 = hex('3B 88 01 56 49 52 54 43 41 52 44 84');
/** T=0 only: no interface bytes, historical bytes "VIRTCARD", no TCK. */
const ATR_T0 = hex('3B 08 56 49 52 54 43 41 52 44');
const AID = 'A0000002471001';
const SELECT = hex(`00 A4 04 0C 07 ${AID}`);
const FILE = Uint8Array.from({ length: 20 }, (_, i) => i);

/**
 * The test card: SELECT of the eMRTD AID, GET DATA (CA) echoing its data, READ BINARY (B0) of a
 * 20-byte file; 6D00 for anything else.
 */
function application(apdu: Uint8Array): Uint8Array {
  const decoded = decodeCommand(apdu);
  if (!decoded.ok) return hex('6700');
  const { ins, p1, p2, data, le } = decoded.value;
  if (ins === 0xa4 && p1 === 0x04) return toHex(data) === AID ? hex('9000') : hex('6A82');
  if (ins === 0xca) return Uint8Array.from([...data, 0x90, 0x00]);
  if (ins === 0xb0) {
    const offset = (p1 << 8) | p2;
    const part = FILE.subarray(offset, offset + (le ?? 256));
    return Uint8Array.from([...part, 0x90, 0x00]);
  }
  return hex('6D00');
}

function card(options: Partial<SimulatedCardOptions> = {}): SimulatedCardOptions {
  return { atr: ATR_T1, application, ...options };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function rig(
  options: Partial<CardReaderOptions> & { sim?: InProcessPcsc; wrap?: (port: PcscPort) => PcscPort } = {},
) {
  const sim = options.sim ?? new InProcessPcsc();
  const reader = new CardReaderDevice({
    id: 'card-reader',
    mode: 'simulated',
    openPort: async () => (options.wrap ? options.wrap(sim.client()) : sim.client()),
    ...options,
  });
  const events: CardReaderEvent[] = [];
  reader.listen((event) => events.push(event));
  cleanups.push(() => reader.close());
  await reader.open();
  return { sim, reader, events };
}

/** Waits until `condition` holds, polling every 5 ms, at most 2 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

function traced(options: Partial<SimulatedCardOptions> = {}) {
  const traces: ApduTrace[] = [];
  return { traces, card: card({ ...options, onApdu: (t) => traces.push(t) }) };
}

describe('card reader: readers, cards and events', () => {
  it('follows card insertion and removal with one event each and the ATR', async () => {
    const { sim, reader, events } = await rig();
    expect(reader.state()).toEqual({ status: 'ready', detail: { readers: 1, cards: 0 } });
    expect(reader.readers()).toEqual([{ name: 'Simulated Reader 00 00', status: 'empty' }]);

    sim.insert(card());
    const present = await reader.waitForCard({ timeoutMs: 1000 });
    expect(present).toMatchObject({ name: 'Simulated Reader 00 00', status: 'card', inSession: false });
    expect(toHex(present.atr)).toBe(toHex(ATR_T1));
    expect(reader.state()).toEqual({ status: 'ready', detail: { readers: 1, cards: 1 } });

    sim.remove();
    await until(() => reader.readers()[0]?.status === 'empty');
    expect(events.map((e) => e.type)).toEqual(['reader-added', 'card-inserted', 'card-removed']);
    const inserted = events[1];
    expect(inserted?.type === 'card-inserted' && toHex(inserted.atr)).toBe(toHex(ATR_T1));
  });

  it('announces a card already present at open, and hears readers come and go', async () => {
    const sim = new InProcessPcsc();
    sim.insert(card());
    const { reader, events } = await rig({ sim });
    expect(reader.readers()[0]).toMatchObject({ status: 'card' });
    sim.addReader('Second Reader 00 00');
    await until(() => reader.readers().length === 2);
    sim.removeReader('Simulated Reader 00 00');
    sim.removeReader('Second Reader 00 00');
    await until(() => reader.state().status === 'disconnected');
    expect(events.map((e) => `${e.type} ${e.reader}`)).toEqual([
      'reader-added Simulated Reader 00 00',
      'card-inserted Simulated Reader 00 00',
      'reader-added Second Reader 00 00',
      'card-removed Simulated Reader 00 00',
      'reader-removed Simulated Reader 00 00',
      'reader-removed Second Reader 00 00',
    ]);
    expect(reader.state()).toMatchObject({ status: 'disconnected', reason: 'No card reader is connected' });
  });

  it('follows only the readers named by the `reader` prefix', async () => {
    const sim = new InProcessPcsc({ readers: ['Virtual PCD 00 00', 'Virtual PCD 00 01'] });
    const { reader } = await rig({ sim, reader: 'Virtual PCD 00 01' });
    expect(reader.readers().map((r) => r.name)).toEqual(['Virtual PCD 00 01']);
    sim.insert(card(), 'Virtual PCD 00 00');
    await expect(reader.waitForCard({ timeoutMs: 100 })).rejects.toBeInstanceOf(DeviceTimeoutError);
  });

  it('goes to error, never rejecting open, when PC/SC is unavailable; open() again retries', async () => {
    let available = false;
    const sim = new InProcessPcsc();
    const reader = new CardReaderDevice({
      id: 'card-reader',
      mode: 'hardware',
      openPort: async () => {
        if (!available) throw new DeviceUnavailableError('pcscd is not running: start it');
        return sim.client();
      },
    });
    cleanups.push(() => reader.close());
    await reader.open();
    expect(reader.state()).toEqual({
      status: 'error',
      code: 'DEVICE_UNAVAILABLE',
      message: 'pcscd is not running: start it',
    });
    await expect(reader.connect()).rejects.toMatchObject({ code: 'DEVICE_UNAVAILABLE' });
    available = true;
    await reader.open();
    expect(reader.state().status).toBe('ready');
  });

  it('a PC/SC failure (pcscd stopped) ends the session and puts the device in error', async () => {
    let fail: (() => void) | undefined;
    const { sim, reader } = await rig({
      wrap: (port) => ({
        ...port,
        listReaders: () => port.listReaders(),
        connect: (name, options) => port.connect(name, options),
        close: () => port.close(),
        listen: (observer) => {
          fail = () => observer({ type: 'failed', error: new DeviceUnavailableError('pcscd stopped') });
          return port.listen(observer);
        },
      }),
    });
    sim.insert(card({ latencyMs: 200 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const pending = session.transmit(SELECT);
    fail?.();
    await expect(pending).rejects.toBeInstanceOf(DeviceUnavailableError);
    await until(() => reader.state().status === 'error');
  });
});

describe('card reader: sessions and the T=0 procedure', () => {
  it('SELECT on a T=1 card; the reader reports extended length', async () => {
    const { sim, reader } = await rig();
    sim.insert(card());
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    expect(session).toMatchObject({
      protocol: 'T1',
      extendedLength: true,
      maxApduDataSize: 65536,
      active: true,
    });
    expect(toHex(await session.transmit(SELECT))).toBe('9000');
    expect(reader.readers()[0]).toMatchObject({ inSession: true });
    await session.close();
    expect(session.active).toBe(false);
    expect(reader.readers()[0]).toMatchObject({ inSession: false });
  });

  it('extended length: an override by reader-name prefix wins; unreported means short only', async () => {
    const sim = new InProcessPcsc({
      maxApduDataSize: 'unreported',
      readers: ['ACME Reader 00 00', 'Other 00 00'],
    });
    const { reader } = await rig({ sim, extendedLength: { 'ACME Reader': true } });
    sim.insert(card(), 'ACME Reader 00 00');
    sim.insert(card(), 'Other 00 00');
    await until(() => reader.readers().every((r) => r.status === 'card'));
    const acme = await reader.connect('ACME Reader 00 00');
    const other = await reader.connect('Other 00 00');
    expect([acme.extendedLength, acme.maxApduDataSize]).toEqual([true, undefined]);
    expect([other.extendedLength, other.maxApduDataSize]).toEqual([false, undefined]);
  });

  it('61xx: GET RESPONSE (00 C0 00 00 xx) until done, the data concatenated', async () => {
    const { traces, card: t0card } = traced({ atr: ATR_T0, t0: { chunk: 100 } });
    const { sim, reader } = await rig();
    sim.insert(t0card);
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    expect(session.protocol).toBe('T0');
    const payload = Uint8Array.from({ length: 250 }, (_, i) => i & 0xff);
    const command = Uint8Array.from([0x00, 0xca, 0x01, 0x00, payload.length, ...payload, 0x00]);
    const answer = await session.transmit(command);
    expect(toHex(answer)).toBe(`${toHex(payload)}9000`);
    expect(
      traces.map(
        (t) => `${toHex(t.command).slice(0, 10)} -> ${toHex(t.response ?? new Uint8Array()).slice(-4)}`,
      ),
    ).toEqual(['00CA0100FA -> 6164', '00C0000064 -> 6164', '00C0000064 -> 6132', '00C0000032 -> 9000']);
  });

  it('6Cxx: the command is re-issued once with Le = xx', async () => {
    const { traces, card: t0card } = traced({ atr: ATR_T0 });
    const { sim, reader } = await rig();
    sim.insert(t0card);
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const answer = await session.transmit(hex('00 B0 00 00 00'));
    expect(toHex(answer)).toBe(`${toHex(FILE)}9000`);
    expect(traces.map((t) => `${toHex(t.command)} -> ${toHex(t.response ?? new Uint8Array())}`)).toEqual([
      '00B0000000 -> 6C14',
      `00B0000014 -> ${toHex(FILE)}9000`,
    ]);
  });

  it('with t0Procedure off, 61xx and 6Cxx come back as the card sent them', async () => {
    const { sim, reader } = await rig({ t0Procedure: false });
    sim.insert(card({ atr: ATR_T0 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    expect(toHex(await session.transmit(hex('00 B0 00 00 00')))).toBe('6C14');
    expect(toHex(await session.transmit(hex('00 CA 01 00 02 AA BB 00')))).toBe('6102');
  });

  it('a card that never stops answering 61xx is a ProtocolError, not an endless loop', async () => {
    const { sim, reader } = await rig();
    sim.insert(card({ application: () => hex('AB 61 01'), t0: false }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    await expect(session.transmit(SELECT)).rejects.toBeInstanceOf(ProtocolError);
    expect(session.active).toBe(true);
  });

  it('times out a slow card, and the next command gets its own answer', async () => {
    const { sim, reader } = await rig({ timeoutMs: 100 });
    const inserted = sim.insert(card({ latencyMs: 600 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const started = performance.now();
    const error = await session.transmit(hex('00 CA 00 00 01 AA 00')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceTimeoutError);
    expect((error as DeviceTimeoutError).timeoutMs).toBe(100);
    expect(performance.now() - started).toBeLessThan(550);
    inserted.latencyMs = 0;
    // The abandoned command finishes on the card first; this call waits for it within its timeout.
    const answer = await session.transmit(hex('00 CA 00 00 01 BB 00'), { timeoutMs: 1000 });
    expect(toHex(answer)).toBe('BB9000');
  });

  it('one command at a time: an overlapping transmit gets BusyError, the first completes', async () => {
    const { sim, reader } = await rig();
    sim.insert(card({ latencyMs: 50 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const first = session.transmit(hex('00 CA 00 00 01 01 00'));
    await expect(session.transmit(hex('00 CA 00 00 01 02 00'))).rejects.toBeInstanceOf(BusyError);
    expect(toHex(await first)).toBe('019000');
    expect(toHex(await session.transmit(hex('00 CA 00 00 01 03 00')))).toBe('039000');
  });

  it('one session per card; no card is CardRemovedError; an unknown reader is DisconnectedError', async () => {
    const { sim, reader } = await rig();
    await expect(reader.connect()).rejects.toBeInstanceOf(CardRemovedError);
    await expect(reader.connect('No Such Reader')).rejects.toBeInstanceOf(DisconnectedError);
    sim.insert(card());
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    await expect(reader.connect()).rejects.toBeInstanceOf(BusyError);
    await session.close();
    const again = await reader.connect();
    expect(toHex(await again.transmit(SELECT))).toBe('9000');
  });

  it('an aborted transmit rejects with CanceledError', async () => {
    const { sim, reader } = await rig();
    sim.insert(card({ latencyMs: 200 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const controller = new AbortController();
    const pending = session.transmit(SELECT, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CanceledError);
  });
});

describe('card reader: removal', () => {
  it('card pulled mid-transaction: CardRemovedError at once, then a fresh card works', async () => {
    const { sim, reader, events } = await rig();
    sim.insert(card({ latencyMs: 1000 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const started = performance.now();
    const pending = session.transmit(SELECT);
    setTimeout(() => sim.remove(), 20);
    await expect(pending).rejects.toBeInstanceOf(CardRemovedError);
    expect(performance.now() - started).toBeLessThan(900);
    expect(session.active).toBe(false);
    await expect(session.transmit(SELECT)).rejects.toBeInstanceOf(CardRemovedError);

    sim.insert(card());
    await reader.waitForCard({ timeoutMs: 1000 });
    const fresh = await reader.connect();
    expect(toHex(await fresh.transmit(SELECT))).toBe('9000');
    expect(events.map((e) => e.type)).toEqual([
      'reader-added',
      'card-inserted',
      'card-removed',
      'card-inserted',
    ]);
  });

  it('a card that pulls itself during its N-th APDU (removeDuringApdu)', async () => {
    const { traces, card: pulling } = traced({ removeDuringApdu: 2 });
    const { sim, reader } = await rig();
    sim.insert(pulling);
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    expect(toHex(await session.transmit(SELECT))).toBe('9000');
    await expect(session.transmit(hex('00 B0 00 00 10'))).rejects.toBeInstanceOf(CardRemovedError);
    expect(traces.map((t) => t.response && toHex(t.response))).toEqual(['9000', undefined]);
    await until(() => reader.readers()[0]?.status === 'empty');
    sim.insert(card());
    await reader.waitForCard({ timeoutMs: 1000 });
    expect(toHex(await (await reader.connect()).transmit(SELECT))).toBe('9000');
  });

  it('a broken exchange followed by the removal event (vpcd) is one CardRemovedError', async () => {
    const sim = new InProcessPcsc();
    let breakNext = false;
    const { reader } = await rig({
      sim,
      removalGraceMs: 1000,
      wrap: (port) => ({
        listReaders: () => port.listReaders(),
        listen: (observer) => port.listen(observer),
        close: () => port.close(),
        connect: async (name, options): Promise<CardConnection> => {
          const inner = await port.connect(name, options);
          return {
            reader: inner.reader,
            protocol: inner.protocol,
            atr: inner.atr,
            maxApduDataSize: inner.maxApduDataSize,
            disconnect: (d) => inner.disconnect(d),
            transmit: async (apdu, o) => {
              if (!breakNext) return inner.transmit(apdu, o);
              // What pcscd gives when the vpcd socket closes mid-APDU: success with 0 bytes; the
              // removal shows in the next presence poll.
              setTimeout(() => sim.remove(), 150);
              return new Uint8Array(0);
            },
          };
        },
      }),
    });
    sim.insert(card());
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    breakNext = true;
    const error = await session.transmit(SELECT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardRemovedError);
    expect((error as CardRemovedError).cause).toBeInstanceOf(ProtocolError);
  });

  it('a broken exchange with the card still in is a ProtocolError after the grace period', async () => {
    const sim = new InProcessPcsc();
    const { reader } = await rig({
      sim,
      removalGraceMs: 50,
      wrap: (port) => ({
        listReaders: () => port.listReaders(),
        listen: (observer) => port.listen(observer),
        close: () => port.close(),
        connect: async (name, options) => {
          const inner = await port.connect(name, options);
          return Object.assign(Object.create(null), {
            reader: inner.reader,
            protocol: inner.protocol,
            atr: inner.atr,
            maxApduDataSize: inner.maxApduDataSize,
            disconnect: inner.disconnect.bind(inner),
            transmit: async () => Uint8Array.of(0x90),
          }) as CardConnection;
        },
      }),
    });
    sim.insert(card());
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    await expect(session.transmit(SELECT)).rejects.toBeInstanceOf(ProtocolError);
    expect(session.active).toBe(true);
  });

  it('reader unplugged mid-transaction: DisconnectedError; close cancels what is pending', async () => {
    const { sim, reader } = await rig();
    sim.insert(card({ latencyMs: 500 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const pending = session.transmit(SELECT);
    sim.removeReader('Simulated Reader 00 00');
    await expect(pending).rejects.toBeInstanceOf(DisconnectedError);
    await until(() => reader.readers().length === 0);

    const waiting = reader.waitForCard();
    await reader.close();
    await expect(waiting).rejects.toBeInstanceOf(CanceledError);
    expect(reader.state()).toEqual({ status: 'closed' });
  });

  it('close() rejects a pending transmit with CanceledError', async () => {
    const { sim, reader } = await rig();
    sim.insert(card({ latencyMs: 500 }));
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    const pending = session.transmit(SELECT);
    await reader.close();
    await expect(pending).rejects.toBeInstanceOf(CanceledError);
  });
});

describe('in-process PC/SC simulator as a port', () => {
  it('exclusive connections exclude other applications; events arrive after the polling delay', async () => {
    const sim = new InProcessPcsc({ eventDelayMs: 30 });
    const a = sim.client();
    const b = sim.client();
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const heard: string[] = [];
    a.listen((e) => heard.push(e.type));
    sim.insert(card());
    await new Promise((r) => setTimeout(r, 10));
    expect(heard).toEqual(['reader-added']);
    await until(() => heard.includes('card-inserted'));
    const held = await a.connect('Simulated Reader 00 00', { protocols: ['T0', 'T1'] });
    await expect(
      b.connect('Simulated Reader 00 00', { protocols: ['T1'], exclusive: false }),
    ).rejects.toBeInstanceOf(BusyError);
    await expect(a.connect('Simulated Reader 00 00', { protocols: ['T0'] })).rejects.toBeInstanceOf(
      BusyError,
    );
    await held.disconnect();
    await expect(b.connect('Simulated Reader 00 00', { protocols: ['T0'] })).rejects.toBeInstanceOf(
      ProtocolError,
    );
  });

  it('a card pulled mid-read rejects the exchange; the insert and remove actions; the only reader scenario is normal', async () => {
    const sim = new InProcessPcsc({ card: () => ({ ...card(), removeDuringApdu: 2 }) });
    const { reader } = await rig({ sim });
    await sim.actions.find((a) => a.name === 'insert')?.run({});
    await reader.waitForCard({ timeoutMs: 1000 });
    const session = await reader.connect();
    expect(toHex(await session.transmit(hex('00 B0 00 00 04')))).toBe('000102039000');
    await expect(session.transmit(hex('00 B0 00 04 04'))).rejects.toBeInstanceOf(CardRemovedError);
    await expect(sim.actions.find((a) => a.name === 'remove')?.run({})).rejects.toMatchObject({
      code: 'SIM_PCSC_NO_CARD',
    });
    // How a card behaves is the card's own (the card simulator's scenarios), not the reader's.
    expect(sim.scenarios).toEqual(['normal']);
    expect(() => sim.setScenario('slow-card')).toThrow(RangeError);
  });
});

describe('vpcd framing and ATR protocols', () => {
  it('frames with a 2-byte big-endian length; reassembles across any chunking', () => {
    expect(toHex(encodeVpcdFrame(hex('04')))).toBe('000104');
    const streamOf = (payloads: Uint8Array[]) => {
      const frames = payloads.map(encodeVpcdFrame);
      const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      let offset = 0;
      for (const frame of frames) {
        out.set(frame, offset);
        offset += frame.length;
      }
      return out;
    };
    const small = [hex('04'), SELECT, new Uint8Array(300).fill(9)];
    const large = [hex('01'), new Uint8Array(65535).fill(7), SELECT];
    for (const [payloads, sizes] of [
      [small, [1, 2, 3, 7, 1000]],
      [large, [4096, 65536, 70000]],
    ] as const) {
      const stream = streamOf([...payloads]);
      for (const size of sizes) {
        const reader = new VpcdFrameReader();
        const got: Uint8Array[] = [];
        for (let i = 0; i < stream.length; i += size) {
          const { frames, error } = reader.push(stream.subarray(i, i + size));
          expect(error).toBeUndefined();
          got.push(...frames);
        }
        expect(got.map(toHex)).toEqual(payloads.map(toHex));
      }
    }
  });

  it('rejects empty frames and payloads that do not fit 16 bits', () => {
    expect(new VpcdFrameReader().push(hex('0000')).error).toBe('vpcd sent an empty frame');
    expect(() => encodeVpcdFrame(new Uint8Array(65536))).toThrow(RangeError);
    expect(() => encodeVpcdFrame(new Uint8Array(0))).toThrow(RangeError);
  });

  it('reads the protocols an ATR offers', () => {
    expect(atrProtocols(ATR_T1)).toEqual(['T1']);
    expect(atrProtocols(ATR_T0)).toEqual(['T0']);
    // TD1 = 80 (T=0, TD2 follows), TD2 = 01 (T=1).
    expect(atrProtocols(hex('3B 80 80 01 01'))).toEqual(['T0', 'T1']);
    // TA1 TB1 TC1 present, TD1 = 81 (T=1), TD2 = 31 (TA3, TB3, T=1).
    expect(atrProtocols(hex('3B F0 13 00 00 81 31 FE 45'))).toEqual(['T1']);
    expect(atrProtocols(hex('3B 80'))).toEqual(['T0']);
  });
});

describe('native PC/SC adapter: pure parts', () => {
  it('finds FEATURE_GET_TLV_PROPERTIES and reads dwMaxAPDUDataSize (PC/SC part 10)', () => {
    expect(CM_IOCTL_GET_FEATURE_REQUEST).toBe(0x42000d48);
    // What upstream ifd-vpcd answers: the feature (tag 12, BE code), then property 0A = 0x00010000 LE.
    const features = hex('06 04 42 33 00 06  12 04 42 33 00 12');
    expect(featureControlCode(features, FEATURE_GET_TLV_PROPERTIES)).toBe(0x42330012);
    expect(featureControlCode(hex('12 04 42 33'), FEATURE_GET_TLV_PROPERTIES)).toBeUndefined();
    const properties = hex('01 02 00 00  0A 04 00 00 01 00');
    expect(tlvProperty(properties, PROPERTY_MAX_APDU_DATA_SIZE)).toBe(0x10000);
    expect(tlvProperty(hex('0A 04 00 00'), PROPERTY_MAX_APDU_DATA_SIZE)).toBeUndefined();
    expect(tlvProperty(hex('01 02 00 00'), PROPERTY_MAX_APDU_DATA_SIZE)).toBeUndefined();
  });

  it('maps PC/SC return codes in pcsclite messages to typed errors', () => {
    const of = (message: string) => classifyPcscError(new Error(message), 'SCardX', 'Reader 00 00');
    expect(of('SCardTransmit error: Card was removed.(0x80100069)')).toBeInstanceOf(CardRemovedError);
    expect(of('SCardConnect error: No smart card inserted.(0x8010000c)')).toBeInstanceOf(CardRemovedError);
    expect(of('SCardConnect error: Sharing violation.(0x8010000b)')).toBeInstanceOf(BusyError);
    expect(of('SCardTransmit error: Transaction failed.(0x80100016)')).toBeInstanceOf(ProtocolError);
    expect(of('SCardConnect error: Unknown reader specified.(0x80100009)')).toBeInstanceOf(DisconnectedError);
    const service = of('SCardEstablishContext error: Service not available.(0x8010001d)');
    expect(service).toBeInstanceOf(DeviceUnavailableError);
    expect(service.message).toMatch(/pcscd is not running/);
    const other = of('SCardX error: strange');
    expect(other).toBeInstanceOf(DriverError);
    expect(other.code).toBe('DEVICE_REPORTED_ERROR');
  });
});
