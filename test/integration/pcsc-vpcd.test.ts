/**
 * The card-reader driver through the real PC/SC stack: pcsclite -> pcscd -> vsmartcard's vpcd
 * driver ("Virtual PCD 00 00", TCP 35963) -> VpcdLink -> a small test card. Also opensc-tool against
 * the same card. `npm run setup:test` (scripts/setup-system.sh --test) installs pcscd,
 * vsmartcard-vpcd and opensc and starts pcscd; without them these tests fail saying so.
 *
 * vpcd notices a card by polling (about 400 ms), and each APDU takes about 44 ms through it, so the
 * tests wait for events rather than sleeping, and keep APDU counts small.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardRemovedError, DeviceTimeoutError } from '../../drivers/errors.ts';
import { CardReaderDevice, type CardReaderEvent } from '../../drivers/smartcard/card-reader.ts';
import { NativePcsc } from '../../drivers/smartcard/native-pcsc.ts';
import { decodeCommand } from '../../protocol/iso7816/apdu.ts';
import { type ApduTrace, VpcdLink, type VpcdLinkOptions } from '../../simulators/card/vpcd-link.ts';
import { assertPcscReady, lockVpcdSlot } from '../support/pcsc.ts';

const run = promisify(execFile);
const READER = 'Virtual PCD 00 00';
const VPCD_PORT = 35963;
const AID = 'A0000002471001';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

/** T=1 only (TD1 = 01), historical bytes "VIRTCARD", TCK. */
const ATR_T1 = hex('3B 88 01 56 49 52 54 43 41 52 44 84');
/** T=0 only: no interface bytes, historical bytes "VIRTCARD". */
const ATR_T0 = hex('3B 08 56 49 52 54 43 41 52 44');
const SELECT = hex(`00 A4 04 0C 07 ${AID}`);
const FILE = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);

/** SELECT of the eMRTD AID, GET DATA (CA) echoing its data, READ BINARY (B0) of a 20-byte file. */
function application(apdu: Uint8Array): Uint8Array {
  const decoded = decodeCommand(apdu);
  if (!decoded.ok) return hex('6700');
  const { ins, p1, p2, data, le } = decoded.value;
  if (ins === 0xa4 && p1 === 0x04) return toHex(data) === AID ? hex('9000') : hex('6A82');
  if (ins === 0xca) return Uint8Array.from([...data, 0x90, 0x00]);
  if (ins === 0xb0) {
    const offset = (p1 << 8) | p2;
    return Uint8Array.from([...FILE.subarray(offset, offset + (le ?? 256)), 0x90, 0x00]);
  }
  return hex('6D00');
}

let reader: CardReaderDevice;
const events: CardReaderEvent[] = [];
const links: VpcdLink[] = [];

function link(options: Omit<VpcdLinkOptions, 'application'> & Partial<Pick<VpcdLinkOptions, 'application'>>) {
  const created = new VpcdLink({ application, port: VPCD_PORT, ...options });
  links.push(created);
  return created;
}

function traced(options: Omit<VpcdLinkOptions, 'application'>) {
  const traces: ApduTrace[] = [];
  return { traces, link: link({ ...options, onApdu: (t) => traces.push(t) }) };
}

/** Resolves on the first driver event for READER matching `type`, within `timeoutMs`. */
function nextEvent(type: CardReaderEvent['type'], timeoutMs = 5000): Promise<CardReaderEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unlisten();
      reject(new Error(`no ${type} event on ${READER} within ${timeoutMs} ms`));
    }, timeoutMs);
    const unlisten = reader.listen((event) => {
      if (event.type !== type || event.reader !== READER) return;
      clearTimeout(timer);
      unlisten();
      resolve(event);
    });
  });
}

async function readerEmpty(timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (reader.readers().find((r) => r.name === READER)?.status !== 'empty') {
    if (performance.now() > deadline) throw new Error(`${READER} still shows a card after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function insertAndConnect(card: VpcdLink) {
  const inserted = nextEvent('card-inserted');
  await card.insert();
  await inserted;
  return reader.connect(READER);
}

let releaseSlot: (() => void) | undefined;

beforeAll(async () => {
  assertPcscReady(VPCD_PORT, 'The PC/SC integration test');
  releaseSlot = await lockVpcdSlot(VPCD_PORT);
  reader = new CardReaderDevice({
    id: 'pcsc',
    mode: 'hardware',
    openPort: () => NativePcsc.open(),
    reader: READER,
    timeoutMs: 5000,
  });
  reader.listen((event) => events.push(event));
  await reader.open();
  expect(reader.state()).toMatchObject({ status: 'ready', detail: { readers: 1 } });
  expect(events).toEqual([{ type: 'reader-added', reader: READER }]);
  // A card left over by another process would confuse every test below.
  expect(reader.readers()).toEqual([{ name: READER, status: 'empty' }]);
  events.length = 0;
  // The slot may be held by card-vpcd-ta.test.ts for a minute or two.
}, 150_000);

afterEach(async () => {
  while (links.length > 0) await links.pop()?.remove();
  if (reader) await readerEmpty();
  events.length = 0;
});

afterAll(async () => {
  await reader?.close();
  releaseSlot?.();
});

describe('PC/SC through pcscd and vpcd', () => {
  it('sees the card arrive and leave; SELECT and an extended APDU on T=1', async () => {
    const card = link({ atr: ATR_T1 });
    const session = await insertAndConnect(card);
    expect(toHex(session.atr)).toBe(toHex(ATR_T1));
    expect(session.protocol).toBe('T1');
    // vpcd 3.3 (Debian 12) does not report dwMaxAPDUDataSize; later versions report 0x10000.
    expect([undefined, 0x10000]).toContain(session.maxApduDataSize);
    expect(session.extendedLength).toBe(true);
    expect(reader.readers()).toEqual([{ name: READER, status: 'card', atr: ATR_T1, inSession: true }]);

    expect(toHex(await session.transmit(SELECT))).toBe('9000');
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const extended = Uint8Array.from([0x00, 0xca, 0x01, 0x00, 0x00, 0x03, 0xe8, ...data, 0x00, 0x00]);
    expect(toHex(await session.transmit(extended))).toBe(`${toHex(data)}9000`);

    const removed = nextEvent('card-removed');
    await card.remove();
    await removed;
    expect(session.active).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['card-inserted', 'card-removed']);
  });

  it('T=0: 61xx answered through GET RESPONSE, 6Cxx re-issued with the right Le', async () => {
    const { traces, link: card } = traced({ atr: ATR_T0, t0: { chunk: 100 } });
    const session = await insertAndConnect(card);
    expect(session.protocol).toBe('T0');

    const payload = Uint8Array.from({ length: 150 }, (_, i) => 255 - i);
    const getData = Uint8Array.from([0x00, 0xca, 0x01, 0x00, payload.length, ...payload, 0x00]);
    expect(toHex(await session.transmit(getData))).toBe(`${toHex(payload)}9000`);
    expect(toHex(await session.transmit(hex('00 B0 00 00 00')))).toBe(`${toHex(FILE)}9000`);

    // pcscd may send its own commands; look at ours only.
    const ours = traces.filter((t) => [0xca, 0xc0, 0xb0].includes(t.command[1] ?? 0));
    expect(
      ours.map(
        (t) => `${toHex(t.command).slice(0, 10)} -> ${toHex(t.response ?? new Uint8Array()).slice(-4)}`,
      ),
    ).toEqual([
      '00CA010096 -> 6164',
      '00C0000064 -> 6132',
      '00C0000032 -> 9000',
      '00B0000000 -> 6C14',
      '00B0000014 -> 9000',
    ]);
  });

  it('a card pulled mid-transaction is a CardRemovedError; the next card works', async () => {
    const { traces, link: pulled } = traced({ atr: ATR_T1, removeDuringApdu: 2 });
    const session = await insertAndConnect(pulled);
    expect(toHex(await session.transmit(SELECT))).toBe('9000');
    const removed = nextEvent('card-removed');
    const error = await session.transmit(hex('00 B0 00 00 10')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardRemovedError);
    expect(traces.map((t) => t.response && toHex(t.response))).toEqual(['9000', undefined]);
    await removed;
    expect(pulled.state()).toBe('removed');

    const fresh = await insertAndConnect(link({ atr: ATR_T1 }));
    expect(toHex(await fresh.transmit(SELECT))).toBe('9000');
  });

  it('a slow card times out; the session stays usable', async () => {
    const card = link({ atr: ATR_T1 });
    const session = await insertAndConnect(card);
    card.card.latencyMs = 1500;
    const error = await session
      .transmit(hex('00 CA 00 00 01 AA 00'), { timeoutMs: 400 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceTimeoutError);
    card.card.latencyMs = 0;
    expect(toHex(await session.transmit(hex('00 CA 00 00 01 BB 00')))).toBe('BB9000');
  });

  it('opensc-tool -r 0 sends SELECT to the card and gets 9000', async () => {
    const card = link({ atr: ATR_T1 });
    const inserted = nextEvent('card-inserted');
    await card.insert();
    await inserted;
    const list = await run('opensc-tool', ['-l'], { timeout: 15_000 });
    expect(list.stdout).toMatch(/^0\s+Yes\s+.*Virtual PCD 00 00$/m);
    const { stdout } = await run('opensc-tool', ['-r', '0', '-s', `00A4040C07${AID}`], { timeout: 15_000 });
    expect(stdout).toContain('Sending: 00 A4 04 0C 07 A0 00 00 02 47 10 01');
    expect(stdout).toContain('Received (SW1=0x90, SW2=0x00)');
  });

  it('names pcscd when it is not running (a client pointed at a socket where none listens)', async () => {
    const script = [
      `const { NativePcsc } = await import(${JSON.stringify(new URL('../../drivers/smartcard/native-pcsc.ts', import.meta.url).pathname)});`,
      'try { await NativePcsc.open(); console.log("opened"); }',
      'catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, PCSCLITE_CSOCK_NAME: '/nonexistent/pcscd.comm' },
      timeout: 15_000,
    });
    const outcome = JSON.parse(stdout.trim()) as { name: string; code: string; message: string };
    expect(outcome).toMatchObject({ name: 'DeviceUnavailableError', code: 'DEVICE_UNAVAILABLE' });
    expect(outcome.message).toMatch(/^pcscd is not running/);
  });
});
