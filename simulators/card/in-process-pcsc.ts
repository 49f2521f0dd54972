/**
 * An in-process PC/SC stack: readers and simulated cards behind the same PcscPort the native adapter
 * offers, so unit tests and the station's embedded default run without pcscd.
 *
 * It behaves like pcscd with pcsclite: every `client()` is one application's context with its own
 * view of the readers; events reach clients on a later tick (after `eventDelayMs`, pcscd's polling);
 * answers come asynchronously; one exchange at a time per connection (BusyError for an overlap);
 * exclusive connections exclude others (BusyError, like SCARD_E_SHARING_VIOLATION); pulling a card
 * rejects the pending exchange with CardRemovedError at once. The cards are `SimulatedCard`s, the
 * same behaviour (latency, T=0 procedure bytes, pulled mid-APDU) as behind vpcd.
 *
 * As a SimulatorControl ("pcsc"), testers insert and remove cards from outside. The split with the
 * card simulator ("card"): this control owns the readers (what is plugged in, which card is in it);
 * how a card behaves (slow, pulled mid-read, its data and keys) is the card's own scenario
 * (cccd-card-sim.ts), so the same scenarios work behind vpcd, where this control does not exist.
 * Its only scenario is `normal`.
 */
import {
  BusyError,
  CanceledError,
  CardRemovedError,
  DeviceTimeoutError,
  DisconnectedError,
  type DriverError,
  ProtocolError,
} from '../../drivers/errors.ts';
import type { SimulatorAction, SimulatorControl } from '../../drivers/sim-control.ts';
import { SimulatorActionError } from '../../drivers/sim-control.ts';
import type {
  CardConnection,
  CardProtocol,
  ConnectOptions,
  Disposition,
  PcscEvent,
  PcscPort,
  ReaderStatus,
  TransmitOptions,
} from '../../drivers/smartcard/port.ts';
import { listenWithCatchUp } from '../../drivers/smartcard/port.ts';
import { SimulatedCard, type SimulatedCardOptions } from './vpcd-link.ts';

export type { CardApplication, SimulatedCardOptions, T0Behaviour } from './vpcd-link.ts';

export interface InProcessPcscOptions {
  /** Reader names. Default one reader, "Simulated Reader 00 00". */
  readonly readers?: readonly string[];
  /** dwMaxAPDUDataSize the readers report, bytes; 'unreported' for readers that do not say. Default 65536. */
  readonly maxApduDataSize?: number | 'unreported';
  /** Delay before clients hear of a change, ms (pcscd polls vpcd every 400 ms). Default 0: next tick. */
  readonly eventDelayMs?: number;
  /** The card the `insert` action puts in; without it the action is refused. */
  readonly card?: () => SimulatedCardOptions;
}

const SCENARIOS = ['normal'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface SimReader {
  card: SimulatedCard | undefined;
  /** Aborted when the card leaves, so a slow answer stops. */
  inserted: AbortController | undefined;
  readonly connections: Set<InProcessConnection>;
}

const readerInput = {
  type: 'object',
  additionalProperties: false,
  properties: { reader: { type: 'string', minLength: 1 } },
} as const;

/** The simulated readers and cards; `client()` gives a PcscPort onto them. */
export class InProcessPcsc implements SimulatorControl {
  readonly name = 'pcsc';
  readonly description =
    "Simulated PC/SC readers: insert and remove chip cards (how a card behaves is the card simulator's scenario).";
  readonly scenarios: readonly string[] = SCENARIOS;
  readonly actions: readonly SimulatorAction[];
  readonly maxApduDataSize: number | undefined;
  readonly eventDelayMs: number;
  readonly #readers = new Map<string, SimReader>();
  readonly #clients = new Set<InProcessPcscClient>();
  readonly #cardFactory: (() => SimulatedCardOptions) | undefined;
  #scenario: Scenario = 'normal';

  constructor(options: InProcessPcscOptions = {}) {
    for (const name of options.readers ?? ['Simulated Reader 00 00']) this.addReader(name);
    this.maxApduDataSize =
      options.maxApduDataSize === 'unreported' ? undefined : (options.maxApduDataSize ?? 65536);
    this.eventDelayMs = options.eventDelayMs ?? 0;
    this.#cardFactory = options.card;
    this.actions = [
      {
        name: 'insert',
        description: 'Insert the simulated chip card into a reader (the first one by default).',
        input: readerInput,
        run: async (input) => {
          const factory = this.#cardFactory;
          if (!factory)
            throw new SimulatorActionError(
              'SIM_PCSC_NO_CARD',
              'This station has no simulated card to insert',
            );
          const reader = this.#readerName((input as { reader?: string }).reader);
          if (this.#readers.get(reader)?.card)
            throw new SimulatorActionError(
              'SIM_PCSC_CARD_PRESENT',
              `A card is already in ${reader}; remove it first`,
            );
          this.insert(factory(), reader);
          return { reader };
        },
      },
      {
        name: 'remove',
        description: 'Pull the card out of a reader (the first one by default).',
        input: readerInput,
        run: async (input) => {
          const reader = this.#readerName((input as { reader?: string }).reader);
          if (!this.#readers.get(reader)?.card)
            throw new SimulatorActionError('SIM_PCSC_NO_CARD', `There is no card in ${reader}`);
          this.remove(reader);
          return { reader };
        },
      },
    ];
  }

  scenario(): string {
    return this.#scenario;
  }

  setScenario(name: string): void {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new RangeError(`unknown scenario ${name}; allowed: ${SCENARIOS.join(', ')}`);
    this.#scenario = name as Scenario;
  }

  snapshot(): unknown {
    return {
      scenario: this.#scenario,
      readers: [...this.#readers.entries()].map(([name, r]) => ({
        name,
        card: r.card ? { atr: Buffer.from(r.card.atr).toString('hex'), apdus: r.card.apduCount } : null,
        connections: r.connections.size,
      })),
    };
  }

  /** A new PC/SC context onto these readers (what the driver's `openPort` returns). */
  client(): PcscPort {
    const client = new InProcessPcscClient(this);
    this.#clients.add(client);
    return client;
  }

  /** Plugs in a reader; clients hear `reader-added`. @throws {RangeError} for a duplicate name. */
  addReader(name: string): void {
    if (this.#readers.has(name)) throw new RangeError(`reader ${name} already exists`);
    this.#readers.set(name, { card: undefined, inserted: undefined, connections: new Set() });
    this.#broadcast({ type: 'reader-added', reader: name });
  }

  /** Unplugs a reader: its card goes too, connections end with DisconnectedError. */
  removeReader(name: string): void {
    const reader = this.#readers.get(name);
    if (!reader) throw new RangeError(`no reader ${name}`);
    if (reader.card)
      this.#pull(name, reader, new DisconnectedError(`The reader ${name} was removed`, { devicePath: name }));
    this.#readers.delete(name);
    this.#broadcast({ type: 'reader-removed', reader: name });
  }

  /**
   * Inserts a card (the first reader by default); clients hear `card-inserted`.
   * @throws {RangeError} for an unknown reader or one that already holds a card.
   */
  insert(card: SimulatedCardOptions | SimulatedCard, reader?: string): SimulatedCard {
    const name = this.#readerName(reader);
    const entry = this.#readers.get(name);
    if (!entry) throw new RangeError(`no reader ${name}`);
    if (entry.card) throw new RangeError(`${name} already holds a card`);
    const simulated = card instanceof SimulatedCard ? card : new SimulatedCard(card);
    simulated.inserted();
    entry.card = simulated;
    entry.inserted = new AbortController();
    simulated.power('on');
    this.#broadcast({ type: 'card-inserted', reader: name, atr: simulated.atr.slice() });
    return simulated;
  }

  /** Pulls the card (the first reader by default); pending exchanges reject with CardRemovedError. */
  remove(reader?: string): void {
    const name = this.#readerName(reader);
    const entry = this.#readers.get(name);
    if (!entry?.card) return;
    this.#pull(name, entry, new CardRemovedError(`The card was removed from ${name}`, { devicePath: name }));
  }

  /** The card in a reader (the first by default), if any. */
  cardIn(reader?: string): SimulatedCard | undefined {
    return this.#readers.get(this.#readerName(reader))?.card;
  }

  /** @internal the clients' view at creation. */
  statuses(): ReaderStatus[] {
    return [...this.#readers.entries()].map(([name, r]) =>
      r.card
        ? { name, card: 'present' as const, atr: r.card.atr.slice() }
        : { name, card: 'absent' as const },
    );
  }

  /** @internal */
  forget(client: InProcessPcscClient): void {
    this.#clients.delete(client);
  }

  /** @internal connects a client to the card in `name`, applying share rules. */
  attach(client: InProcessPcscClient, name: string, options: ConnectOptions): InProcessConnection {
    const reader = this.#readers.get(name);
    if (!reader) throw new DisconnectedError(`No reader named ${name}`, { devicePath: name });
    const card = reader.card;
    if (!card || !reader.inserted)
      throw new CardRemovedError(`No card in ${name}: insert the card`, { devicePath: name });
    const exclusive = options.exclusive ?? true;
    for (const other of reader.connections) {
      if (other.client === client) throw new BusyError(`${name} is already connected`, { devicePath: name });
      if (exclusive || other.exclusive)
        throw new BusyError(`Another application is using the card in ${name}`, { devicePath: name });
    }
    const protocol = card.protocols.find((p) => options.protocols.includes(p));
    if (!protocol)
      throw new ProtocolError(
        `The card in ${name} offers ${card.protocols.join('/')}, the caller accepts ${options.protocols.join('/')}`,
        { devicePath: name },
      );
    const connection = new InProcessConnection(
      this,
      client,
      name,
      card,
      protocol,
      exclusive,
      reader.inserted.signal,
    );
    reader.connections.add(connection);
    return connection;
  }

  /** @internal */
  detach(connection: InProcessConnection): void {
    this.#readers.get(connection.reader)?.connections.delete(connection);
  }

  /** @internal the card asked to be pulled in the middle of an APDU. */
  pulledBy(name: string, card: SimulatedCard): void {
    const reader = this.#readers.get(name);
    if (reader?.card !== card) return;
    this.#pull(
      name,
      reader,
      new CardRemovedError(`The card was pulled from ${name} during an exchange`, { devicePath: name }),
    );
  }

  #pull(name: string, reader: SimReader, error: DriverError): void {
    reader.card = undefined;
    reader.inserted?.abort();
    reader.inserted = undefined;
    for (const connection of [...reader.connections]) connection.end(error);
    reader.connections.clear();
    this.#broadcast({ type: 'card-removed', reader: name });
  }

  #readerName(reader: string | undefined): string {
    if (reader !== undefined) {
      if (!this.#readers.has(reader))
        throw new SimulatorActionError('SIM_PCSC_NO_READER', `No reader named ${reader}`);
      return reader;
    }
    const first = this.#readers.keys().next();
    if (first.done) throw new SimulatorActionError('SIM_PCSC_NO_READER', 'There is no simulated reader');
    return first.value;
  }

  #broadcast(event: PcscEvent): void {
    for (const client of this.#clients) client.deliver(event);
  }
}

/** One application's PC/SC context on the simulated readers. */
class InProcessPcscClient implements PcscPort {
  readonly #sim: InProcessPcsc;
  /** What this client has been told: reader name to the card's ATR (undefined when empty). */
  readonly #view = new Map<string, Uint8Array | undefined>();
  readonly #observers = new Set<(event: PcscEvent) => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #connections = new Set<InProcessConnection>();
  #closed = false;

  constructor(sim: InProcessPcsc) {
    this.#sim = sim;
    for (const status of sim.statuses())
      this.#view.set(status.name, status.card === 'present' ? status.atr : undefined);
  }

  async listReaders(): Promise<readonly ReaderStatus[]> {
    this.#assertOpen();
    await new Promise((resolve) => setImmediate(resolve));
    this.#assertOpen();
    return [...this.#view.entries()].map(([name, atr]) =>
      atr ? { name, card: 'present' as const, atr: atr.slice() } : { name, card: 'absent' as const },
    );
  }

  listen(observer: (event: PcscEvent) => void): () => void {
    this.#assertOpen();
    return listenWithCatchUp(this.#observers, this.#view, observer);
  }

  async connect(reader: string, options: ConnectOptions): Promise<CardConnection> {
    this.#assertOpen();
    if (options.protocols.length === 0) throw new RangeError('connect needs at least one protocol');
    await new Promise((resolve) => setImmediate(resolve));
    this.#assertOpen();
    for (const existing of this.#connections) {
      if (existing.reader !== reader) continue;
      if (!existing.endedBy()) throw new BusyError(`${reader} is already connected`, { devicePath: reader });
      await existing.disconnect('leave');
    }
    const connection = this.#sim.attach(this, reader, options);
    this.#connections.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#observers.clear();
    await Promise.all([...this.#connections].map((c) => c.disconnect('leave')));
    this.#sim.forget(this);
  }

  /** @internal */
  dropConnection(connection: InProcessConnection): void {
    this.#connections.delete(connection);
  }

  /** @internal an event from the simulator, heard after the reader's polling delay. */
  deliver(event: PcscEvent): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#closed) return;
      switch (event.type) {
        case 'reader-added':
          this.#view.set(event.reader, undefined);
          break;
        case 'reader-removed':
          this.#view.delete(event.reader);
          break;
        case 'card-inserted':
          this.#view.set(event.reader, event.atr);
          break;
        case 'card-removed':
          if (this.#view.has(event.reader)) this.#view.set(event.reader, undefined);
          break;
        case 'failed':
          break;
      }
      for (const observer of [...this.#observers]) observer(event);
    }, this.#sim.eventDelayMs);
    this.#timers.add(timer);
  }

  #assertOpen(): void {
    if (this.#closed) throw new CanceledError('The PC/SC port is closed');
  }
}

class InProcessConnection implements CardConnection {
  readonly client: InProcessPcscClient;
  readonly reader: string;
  readonly protocol: CardProtocol;
  readonly atr: Uint8Array;
  readonly maxApduDataSize: number | undefined;
  readonly exclusive: boolean;
  readonly #sim: InProcessPcsc;
  readonly #card: SimulatedCard;
  /** Aborted when the connection ends or the card leaves. */
  readonly #abort = new AbortController();
  readonly #waiters = new Set<(error: DriverError) => void>();
  #ended: DriverError | undefined;
  #busy = false;
  #inFlight: Promise<void> | undefined;
  #disconnected = false;

  constructor(
    sim: InProcessPcsc,
    client: InProcessPcscClient,
    reader: string,
    card: SimulatedCard,
    protocol: CardProtocol,
    exclusive: boolean,
    cardGone: AbortSignal,
  ) {
    this.#sim = sim;
    this.client = client;
    this.reader = reader;
    this.#card = card;
    this.protocol = protocol;
    this.exclusive = exclusive;
    this.atr = card.atr.slice();
    this.maxApduDataSize = sim.maxApduDataSize;
    cardGone.addEventListener('abort', () => this.#abort.abort(), { once: true });
  }

  endedBy(): DriverError | undefined {
    return this.#ended;
  }

  /** Ends the connection: pending and later exchanges reject with `error`. */
  end(error: DriverError): void {
    this.#ended ??= error;
    this.#abort.abort();
    for (const waiter of [...this.#waiters]) waiter(error);
  }

  async transmit(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    if (this.#ended) throw this.#ended;
    if (this.#busy)
      throw new BusyError(`One exchange at a time on ${this.reader}`, { devicePath: this.reader });
    this.#busy = true;
    const started = performance.now();
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        const finish = () => {
          clearTimeout(timer);
          this.#waiters.delete(onEnd);
        };
        const onEnd = (error: DriverError) => {
          finish();
          reject(error);
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new DeviceTimeoutError(
              options.timeoutMs,
              `The card in ${this.reader} did not answer within ${options.timeoutMs} ms`,
              {
                devicePath: this.reader,
              },
            ),
          );
        }, options.timeoutMs);
        this.#waiters.add(onEnd);
        this.#run(apdu, () => options.timeoutMs - (performance.now() - started)).then(
          (answer) => {
            finish();
            resolve(answer);
          },
          (error: unknown) => {
            finish();
            reject(error);
          },
        );
      });
    } finally {
      this.#busy = false;
    }
  }

  async disconnect(disposition: Disposition = 'reset'): Promise<void> {
    if (this.#disconnected) return;
    this.#disconnected = true;
    const wasLive = this.#ended === undefined;
    this.end(new CanceledError(`The connection to ${this.reader} was closed`, { devicePath: this.reader }));
    this.#sim.detach(this);
    this.client.dropConnection(this);
    if (wasLive && disposition === 'reset') this.#card.power('reset');
    if (wasLive && disposition === 'unpower') this.#card.power('off');
  }

  async #run(apdu: Uint8Array, remaining: () => number): Promise<Uint8Array> {
    // A timed-out exchange may still be running on the card; answers stay in order.
    await this.#inFlight;
    if (this.#ended) throw this.#ended;
    if (remaining() <= 0)
      throw new DeviceTimeoutError(0, `The card in ${this.reader} is still busy`, {
        devicePath: this.reader,
      });
    const call = this.#card.process(apdu, this.#abort.signal);
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight = settled;
    void settled.then(() => {
      if (this.#inFlight === settled) this.#inFlight = undefined;
    });
    let answer: Uint8Array | 'pulled';
    try {
      answer = await call;
    } catch {
      throw (
        this.#ended ??
        new CardRemovedError(`The card was removed from ${this.reader}`, { devicePath: this.reader })
      );
    }
    if (answer === 'pulled') {
      this.#sim.pulledBy(this.reader, this.#card);
      throw (
        this.#ended ??
        new CardRemovedError(`The card was pulled from ${this.reader}`, { devicePath: this.reader })
      );
    }
    return answer.slice();
  }
}
