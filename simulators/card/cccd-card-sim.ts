/**
 * The simulated CCCD a tester inserts: a person record turned into chip files (lds-builder.ts),
 * signed under a test CSCA (simulators/pki/csca.ts), answered by the simulated eMRTD chip
 * (emrtd-card.ts). Scenarios pick how the next inserted card misbehaves; the same card runs on
 * the in-process PC/SC port (the station's embedded default) or on pcscd through vpcd (tests,
 * `station sim card`).
 */
import { nodeIcao9303Crypto } from '../../drivers/crypto/node-crypto.ts';
import type { SimulatorAction, SimulatorControl } from '../../drivers/sim-control.ts';
import { cccdMrzInformation } from '../../protocol/icao9303/mrz-info.ts';
import { capabilityHistoricalBytes, contactlessAtr } from '../../protocol/iso7816/atr.ts';
import { createTestPki, type TestPki } from '../pki/csca.ts';
import { SimulatedEmrtdCard } from './emrtd-card.ts';
import { type BuiltLds, buildLds, type PersonRecord, SAMPLE_PERSON } from './lds-builder.ts';
import type { SimulatedCardOptions } from './vpcd-link.ts';

export const CARD_SCENARIOS = [
  'valid',
  /** The chip holds another person's access key: BAC fails, as with mistyped numbers. */
  'wrong-access-key',
  /** DG2 changed after signing: PA says data group altered. */
  'tampered-dg',
  /** Signed under a CSCA no trust store holds. */
  'unknown-csca',
  /** The document signer's certificate expired in 2018. */
  'expired-ds',
  /** The SOD signature does not verify. */
  'bad-signature',
  /** The card leaves the field during the read (the 12th APDU). */
  'card-pulled-mid-read',
  /** 150 ms per APDU. */
  'slow-card',
  /** The chip answers one protected response with a wrong MAC. */
  'bad-mac',
] as const;

export type CardScenario = (typeof CARD_SCENARIOS)[number];

export interface CccdCardSimulatorOptions {
  readonly person?: PersonRecord;
  readonly scenario?: CardScenario;
  /** Portrait size, px (multiples of 8). Default 96 x 128; the bench uses a larger one. */
  readonly portrait?: { readonly width: number; readonly height: number };
  /** The chip takes extended-length APDUs (default true). */
  readonly extendedLength?: boolean;
}

/** What a tester needs to open the card: the numbers printed on its front. */
export interface CardAccessInfo {
  readonly id12: string;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  /** YYMMDD. */
  readonly dateOfExpiry: string;
  readonly mrzInformation: string;
}

function yymmdd(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

export class CccdCardSimulator implements SimulatorControl {
  readonly name = 'card';
  readonly description =
    'The simulated CCCD chip card (ICAO 9303 eMRTD with BAC and secure messaging); scenarios set how the next inserted card behaves.';
  readonly scenarios: readonly string[] = CARD_SCENARIOS;
  readonly actions: readonly SimulatorAction[] = [];
  readonly person: PersonRecord;
  readonly pki: TestPki;
  readonly #options: CccdCardSimulatorOptions;
  #scenario: CardScenario;
  readonly #lds = new Map<string, BuiltLds>();

  private constructor(pki: TestPki, options: CccdCardSimulatorOptions) {
    this.pki = pki;
    this.person = options.person ?? SAMPLE_PERSON;
    this.#options = options;
    this.#scenario = options.scenario ?? 'valid';
  }

  /** Mints the test PKI (about 10 ms with ECDSA P-256). */
  static async create(options: CccdCardSimulatorOptions = {}): Promise<CccdCardSimulator> {
    return new CccdCardSimulator(await createTestPki('ecdsa-p256'), options);
  }

  /** The trusted CSCA certificate (DER), for the reader's trust store. */
  get cscaCertificate(): Uint8Array {
    return this.pki.csca.certificate;
  }

  /** The numbers printed on the card, which open it (whatever the scenario). */
  access(): CardAccessInfo {
    const dateOfBirth = yymmdd(this.person.dateOfBirth);
    const dateOfExpiry = yymmdd(this.person.dateOfExpiry);
    const info = cccdMrzInformation(this.person.id12, dateOfBirth, dateOfExpiry);
    if (!info.ok) throw new RangeError(`the person record does not make a CCCD key: ${info.error.detail}`);
    return { id12: this.person.id12, dateOfBirth, dateOfExpiry, mrzInformation: info.value };
  }

  scenario(): string {
    return this.#scenario;
  }

  setScenario(name: string): void {
    if (!(CARD_SCENARIOS as readonly string[]).includes(name))
      throw new RangeError(`unknown card scenario '${name}'`);
    this.#scenario = name as CardScenario;
  }

  snapshot(): unknown {
    const { id12, dateOfBirth, dateOfExpiry } = this.access();
    return {
      scenario: this.#scenario,
      person: { id12, dateOfBirth, dateOfExpiry },
      csca: this.pki.csca.name,
    };
  }

  /** The chip's files for the current scenario (built once per data scenario). */
  lds(): BuiltLds {
    const data = this.#dataScenario();
    const cached = this.#lds.get(data);
    if (cached) return cached;
    const { pki, person } = this;
    const portrait = this.#options.portrait === undefined ? {} : { portrait: this.#options.portrait };
    const built =
      data === 'tampered-dg'
        ? buildLds(person, { documentSigner: pki.documentSigner, tamperDataGroup: 2, ...portrait })
        : data === 'unknown-csca'
          ? buildLds(person, { documentSigner: pki.unknownDocumentSigner, ...portrait })
          : data === 'expired-ds'
            ? buildLds(person, { documentSigner: pki.expiredDocumentSigner, ...portrait })
            : data === 'bad-signature'
              ? buildLds(person, {
                  documentSigner: pki.documentSigner,
                  corruptSodSignature: true,
                  ...portrait,
                })
              : buildLds(person, { documentSigner: pki.documentSigner, ...portrait });
    this.#lds.set(data, built);
    return built;
  }

  #dataScenario(): string {
    const s = this.#scenario;
    return s === 'tampered-dg' || s === 'unknown-csca' || s === 'expired-ds' || s === 'bad-signature'
      ? s
      : 'valid';
  }

  /** A fresh card for the current scenario, to insert into a reader (in-process or vpcd). */
  card(): SimulatedCardOptions {
    const extendedLength = this.#options.extendedLength ?? true;
    const scenario = this.#scenario;
    let mrzInformation = this.access().mrzInformation;
    if (scenario === 'wrong-access-key') {
      // Another person's numbers: the tester's (the printed ones) no longer open the chip.
      const other = cccdMrzInformation('079201000001', '920315', '320315');
      if (other.ok) mrzInformation = other.value;
    }
    const chip = new SimulatedEmrtdCard({
      crypto: nodeIcao9303Crypto,
      mrzInformation,
      files: this.lds().files,
      extendedLength,
      ...(scenario === 'bad-mac' ? { badMacOnResponse: 3 } : {}),
    });
    return {
      atr: contactlessAtr(capabilityHistoricalBytes({ extendedLength })),
      application: (apdu) => chip.handle(apdu),
      onPower: () => chip.reset(),
      ...(scenario === 'slow-card' ? { latencyMs: 150 } : {}),
      ...(scenario === 'card-pulled-mid-read' ? { removeDuringApdu: 12 } : {}),
    };
  }
}
