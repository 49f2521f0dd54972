/**
 * The chip-card reader from the configuration: PC/SC through pcscd in hardware mode, or the
 * in-process PC/SC port holding the simulated CCCD (started with the card inserted) in simulated
 * mode, with the trust store Passive Authentication checks against.
 */
import path from 'node:path';
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import { describeTrustRefusal, type TrustStoreBuild } from '../../protocol/icao9303/trust-store.ts';
import { CccdCardSimulator } from '../../simulators/card/cccd-card-sim.ts';
import { InProcessPcsc } from '../../simulators/card/in-process-pcsc.ts';
import type { StationConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';

export const CARD_READER_ID = 'card-reader';
/** The reader the simulated card sits in. */
export const SIMULATED_READER = 'Simulated Reader 00 00';

export interface CardParts {
  readonly reader: CardReaderDevice | undefined;
  /** CSCA certificates, CRLs and master lists; undefined: PA reports not-checked. */
  readonly trustStore: TrustStore | undefined;
  /** Hardware mode with a folder: what entered the store and what was refused, with why. */
  readonly trustStoreLoad?: TrustStoreBuild;
  /**
   * The EAC terminal credentials for the next read (TA, then DG3), or undefined when none are
   * configured or they cannot be loaded now (the read then reports DG3 unavailable and why).
   */
  readonly terminal: (() => Promise<TerminalCredentials | undefined>) | undefined;
  readonly simulators: SimulatorControl[];
  /** Simulated mode: resolves once the simulated card is in its reader (it renders DG3 first). */
  readonly placed?: Promise<void>;
  /** Releases what the parts hold (a terminal key's token session). */
  close(): Promise<void>;
}

export interface CardCompositionOptions {
  /** Judges the trust-store certificates' validity at start. Default: the system clock. */
  readonly clock?: { now(): number };
  /** One line per refused certificate, master list or CRL, and a summary. Default: none. */
  readonly log?: (message: string) => void;
}

/**
 * The trust store (hardware mode) is loaded once, at start, through `loadTrustStoreFolder`
 * (drivers/crypto/pa-node.ts), which refuses certificates that do not fit the CSCA profile and
 * master lists whose signer does not chain to a CSCA file of the folder (docs/trust-store.md);
 * each refusal is logged, the station still starts with what was accepted.
 * @throws {ConfigError} CONFIG_UNREADABLE when the configured trust-store folder cannot be read.
 */
export async function composeCardReader(
  config: StationConfig,
  options: CardCompositionOptions = {},
): Promise<CardParts> {
  const settings = config.devices.cardReader;
  switch (settings.mode) {
    case 'disabled':
      return {
        reader: undefined,
        trustStore: undefined,
        terminal: undefined,
        simulators: [],
        close: noClose,
      };
    case 'simulated': {
      const card = await CccdCardSimulator.create();
      const pcsc = new InProcessPcsc({ readers: [SIMULATED_READER], card: () => card.card() });
      // The card goes into the reader once DG3's fingers have rendered on a worker thread (a couple
      // of seconds): the station answers meanwhile, its reader showing no card yet, as if the
      // officer had not put it down. A failed render still puts a card in (built on this thread).
      const placed = card
        .prepareFingerprints({ cacheDir: path.join(config.dataDir, 'sim') })
        .catch((error: unknown) => options.log?.(`simulated card: DG3 on a worker failed (${String(error)})`))
        .then(() => {
          // A tester may have put a card in by hand (/sim/pcsc) meanwhile: that one stays.
          if (pcsc.cardIn(SIMULATED_READER)) return;
          try {
            pcsc.insert(card.card());
          } catch (error) {
            options.log?.(`simulated card: not inserted (${String(error)})`);
          }
        });
      // A card scenario applies to the next card put in; "apply now" puts one in at once.
      card.bindReader(async (fresh) => {
        pcsc.remove(SIMULATED_READER);
        pcsc.insert(fresh, SIMULATED_READER);
        return { reader: SIMULATED_READER, reinserted: true };
      });
      const reader = new CardReaderDevice({
        id: CARD_READER_ID,
        mode: 'simulated',
        openPort: async () => pcsc.client(),
        timeoutMs: settings.timeoutMs,
        ...(settings.reader === undefined ? {} : { reader: settings.reader }),
      });
      return {
        reader,
        trustStore: { cscaCertificates: [card.cscaCertificate] },
        // Per read: a scenario switched at run time (ta-expired-terminal, ta-no-dg3-right) hands
        // out other credentials, as a station given another folder would hold.
        terminal: async () => card.terminalCredentials(),
        simulators: [card, pcsc],
        placed,
        close: async () => {
          await placed.catch(() => undefined);
        },
      };
    }
    case 'hardware': {
      let trustStore: TrustStore | undefined;
      let trustStoreLoad: TrustStoreBuild | undefined;
      if (settings.trustStore !== undefined) {
        const { loadTrustStoreFolder } = await import('../../drivers/crypto/pa-node.ts');
        try {
          trustStoreLoad = await loadTrustStoreFolder(settings.trustStore, {
            ...(options.clock === undefined ? {} : { clock: options.clock }),
          });
          trustStore = trustStoreLoad.trustStore;
        } catch (cause) {
          throw new ConfigError(
            'CONFIG_UNREADABLE',
            undefined,
            [
              {
                key: '/devices/cardReader/trustStore',
                message: `${settings.trustStore} cannot be read (${String(cause)})`,
              },
            ],
            { cause },
          );
        }
      }
      const reader = new CardReaderDevice({
        id: CARD_READER_ID,
        mode: 'hardware',
        openPort: async () => {
          const { NativePcsc } = await import('../../drivers/smartcard/native-pcsc.ts');
          return NativePcsc.open();
        },
        timeoutMs: settings.timeoutMs,
        ...(settings.reader === undefined ? {} : { reader: settings.reader }),
      });
      if (trustStoreLoad !== undefined && options.log !== undefined) {
        for (const refusal of trustStoreLoad.refused)
          options.log(`trust store: ${describeTrustRefusal(refusal)}`);
        options.log(
          `trust store ${settings.trustStore}: ${trustStoreLoad.accepted.length} CSCA certificates, ` +
            `${trustStoreLoad.masterLists.length} master lists accepted, ${trustStoreLoad.refused.length} refused`,
        );
      }
      const terminal =
        settings.terminal === undefined
          ? undefined
          : await terminalFolder(settings.terminal, settings.terminalKey, options.log ?? (() => undefined));
      return {
        reader,
        trustStore,
        ...(trustStoreLoad ? { trustStoreLoad } : {}),
        terminal: terminal?.next,
        simulators: [],
        close: terminal?.close ?? noClose,
      };
    }
  }
}

const noClose = async (): Promise<void> => undefined;

/**
 * The configured EAC credentials folder, loaded at start (an unreadable folder or key is a
 * configuration error) and loaded again before a read whenever the folder changed since (a renewed
 * terminal certificate dropped in, docs/eac.md), so renewal needs no restart. A reload that fails
 * keeps nothing: the read reports DG3 unavailable (no credentials) and the log says why.
 * @throws {ConfigError} CONFIG_UNREADABLE when the folder or key cannot be loaded at start.
 */
async function terminalFolder(
  dir: string,
  keyLocation: string | undefined,
  log: (message: string) => void,
): Promise<{ next: () => Promise<TerminalCredentials | undefined>; close: () => Promise<void> }> {
  const { loadTerminalCredentials } = await import('../cards/terminal-credentials.ts');
  const { stat } = await import('node:fs/promises');
  const load = () => loadTerminalCredentials(dir, keyLocation === undefined ? {} : { keyLocation });
  const changedAt = async () => (await stat(dir)).mtimeMs;
  type Loaded = Awaited<ReturnType<typeof load>>;
  let loaded: Loaded | undefined;
  let stamp: number;
  try {
    stamp = await changedAt();
    loaded = await load();
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      undefined,
      [
        {
          key: '/devices/cardReader/terminal',
          message: `${dir}: ${cause instanceof Error ? cause.message : String(cause)}`,
        },
      ],
      { cause },
    );
  }
  const report = (l: Loaded) => {
    for (const skipped of l.skipped) log(`EAC credentials: skipped ${skipped.file}: ${skipped.reason}`);
    const terminal = l.certificates.find((c) => c.role === 'terminal') ?? l.certificates.at(-1);
    log(
      `EAC credentials ${dir}: ${l.certificates.length} certificates, key ${l.keyLocation}` +
        (terminal === undefined ? '' : `, terminal ${terminal.chr} valid to ${terminal.expirationDate}`),
    );
  };
  report(loaded);
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    let now: number;
    try {
      now = await changedAt();
    } catch (cause) {
      log(`EAC credentials ${dir} cannot be read now (${String(cause)}): reads go without TA`);
      await loaded?.close();
      loaded = undefined;
      return;
    }
    if (now === stamp && loaded !== undefined) return;
    const previous = loaded;
    try {
      loaded = await load();
      stamp = now;
      report(loaded);
    } catch (cause) {
      loaded = undefined;
      log(`EAC credentials ${dir} changed and cannot be loaded (${String(cause)}): reads go without TA`);
    }
    await previous?.close();
  };
  return {
    next: async () => {
      pending ??= refresh().finally(() => {
        pending = undefined;
      });
      await pending;
      return loaded?.credentials;
    },
    close: async () => {
      await loaded?.close();
      loaded = undefined;
    },
  };
}
