/**
 * The chip-card reader from the configuration: PC/SC through pcscd in hardware mode, or the
 * in-process PC/SC port holding the simulated CCCD (started with the card inserted) in simulated
 * mode, with the trust store Passive Authentication checks against.
 */
import type { SimulatorControl } from '../../drivers/sim-control.ts';
import { CardReaderDevice } from '../../drivers/smartcard/card-reader.ts';
import type { TrustStore } from '../../protocol/icao9303/pa.ts';
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
  readonly simulators: SimulatorControl[];
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
      return { reader: undefined, trustStore: undefined, simulators: [] };
    case 'simulated': {
      const card = await CccdCardSimulator.create();
      const pcsc = new InProcessPcsc({ readers: [SIMULATED_READER], card: () => card.card() });
      pcsc.insert(card.card());
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
      return { reader, trustStore: { cscaCertificates: [card.cscaCertificate] }, simulators: [card, pcsc] };
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
      return { reader, trustStore, ...(trustStoreLoad ? { trustStoreLoad } : {}), simulators: [] };
    }
  }
}
