/**
 * The simulated CCCD a tester inserts: a person record turned into chip files (lds-builder.ts),
 * signed under a test CSCA (simulators/pki/csca.ts), answered by the simulated eMRTD chip
 * (emrtd-card.ts). The chip carries two fingerprints in DG3 (the holder's fingerprint seed, the
 * same the simulated scanner renders) behind Terminal Authentication, trusting the CVCA of a test
 * EAC PKI (simulators/pki/cvca.ts) whose terminal credentials `terminalCredentials()` and
 * `exportTrust()` hand to the station. Scenarios pick how the next inserted card misbehaves; the same card runs on
 * the in-process PC/SC port (the station's embedded default) or on pcscd through vpcd (tests,
 * `station sim card`).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { nodeIcao9303Crypto } from '../../drivers/crypto/node-crypto.ts';
import { siblingModule, workerStartUrl } from '../../drivers/runtime-url.ts';
import {
  type SimulatorAction,
  SimulatorActionError,
  type SimulatorControl,
} from '../../drivers/sim-control.ts';
import { birthdayAt } from '../../protocol/cccd/date.ts';
import type { CvCertificate } from '../../protocol/icao9303/cvc.ts';
import { bytesToBigInt, curveByName } from '../../protocol/icao9303/ec.ts';
import { cccdMrzInformation } from '../../protocol/icao9303/mrz-info.ts';
import {
  chipAuthenticationOid,
  decodeSecurityInfos,
  encodePaceInfo,
  encodeSecurityInfos,
  type PaceInfo,
  paceProtocolOid,
} from '../../protocol/icao9303/security-infos.ts';
import type { TerminalCredentials } from '../../protocol/icao9303/terminal-auth.ts';
import { capabilityHistoricalBytes, contactlessAtr } from '../../protocol/iso7816/atr.ts';
import { createTestPki, type TestPki, writeTrustStoreFolder } from '../pki/csca.ts';
import {
  addDays,
  createTestEacPki,
  type IssuedCvc,
  signPlain,
  type TestEacPki,
  writeEacTrustFolder,
} from '../pki/cvca.ts';
import { signActiveAuthentication } from './active-auth-chip.ts';
import { SimulatedEmrtdCard } from './emrtd-card.ts';
import {
  type BuiltLds,
  buildDg3,
  buildLds,
  cardFingerprintSeed,
  type LdsBuildOptions,
  type PersonRecord,
  PORTRAIT_HEIGHT,
  PORTRAIT_WIDTH,
  SAMPLE_PERSON,
  SAMPLE_PERSON_SPARSE_DG13,
} from './lds-builder.ts';
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
  /**
   * The card leaves the field during the read (the 12th APDU), once: the card put back after it
   * (the retry the officer is told to make) reads. Set the scenario again for another pull.
   */
  'card-pulled-mid-read',
  /** 150 ms per APDU. */
  'slow-card',
  /** The chip answers one protected response with a wrong MAC. */
  'bad-mac',
  /** The data copied onto another chip: Chip and Active Authentication fail (other private keys). */
  'cloned-chip',
  /** An older chip: no EF.CardAccess, no PACE; BAC only. */
  'bac-only',
  /** A chip that refuses BAC (6D00): PACE only. */
  'pace-only',
  /** SELECT MF is refused with 6D00; EF.CardAccess is still selectable directly. */
  'select-mf-refused',
  /** MSE:Set AT for PACE is refused with 6982; BAC works, as reported for CCCD chips. */
  'pace-refused',
  /** The chip's CAN is not the last 6 digits of the ID: PACE-CAN fails (6300), PACE-MRZ opens it. */
  'other-can',
  /** DG13 without religion, identifying marks, spouse and the mother's name. */
  'dg13-missing-fields',
  /** Active Authentication with RSA-2048 (ISO 9796-2, SHA-256) instead of ECDSA. */
  'aa-rsa',
  /**
   * The holder's previous card: genuine, but it expired on the 25th birthday (issued at 17, on
   * 1 March 2016; for the sample citizen, expiry 2024-01-01). Its printed numbers differ: see GET /sim/card.
   */
  'expired-card',
  /**
   * The terminal credentials the simulator hands out (terminalCredentials, --export-trust) carry a
   * terminal certificate that expired yesterday: the station does not show it, DG3 is unavailable
   * (credentials-expired) until it is renewed through the DV.
   */
  'ta-expired-terminal',
  /** The chip trusts another CVCA than the station's chain starts from: no trust point, no DG3. */
  'ta-wrong-cvca',
  /** The terminal certificate handed out grants DG4 (iris) only: TA passes, DG3 is not read. */
  'ta-no-dg3-right',
  /** A card without fingerprints: EF.COM and EF.SOD do not list DG3. */
  'dg3-missing',
  /**
   * A genuine card of another citizen (079190001234, Trần Thị Bích Ngọc), whose card central's
   * population data has as reported lost since 2025-09-20: the notary's "reported lost" at the
   * status step. Its printed numbers differ: see GET /sim/card.
   */
  'reported-lost',
] as const;

export type CardScenario = (typeof CARD_SCENARIOS)[number];

export interface CccdCardSimulatorOptions {
  readonly person?: PersonRecord;
  readonly scenario?: CardScenario;
  /** Portrait size, px (multiples of 8). Default 96 x 128; the bench uses a larger one. */
  readonly portrait?: { readonly width: number; readonly height: number };
  /** DG2's JPEG (greyscale, of `portrait`'s size) instead of the procedural face (lds-builder.ts). */
  readonly portraitJpeg?: Uint8Array;
  /** The chip takes extended-length APDUs (default true). */
  readonly extendedLength?: boolean;
  /** The card access number (default the last 6 digits of the ID, the reported CCCD habit). */
  readonly can?: string;
  /** The fingerprint generator's person seed for DG3 (default cardFingerprintSeed(person)). */
  readonly fingerprintSeed?: number;
  /**
   * The day the EAC PKI is made for, YYYY-MM-DD (default today, UTC): terminal certificates are
   * valid from the day before for 30 days, as short-lived as real ones.
   */
  readonly today?: string;
}

/** The PACE the simulated CCCD offers: ECDH generic mapping, brainpoolP256r1, AES-128. */
export const SIMULATED_PACE = { protocol: paceProtocolOid('ECDH-GM', 'aes-128'), parameterId: 13 } as const;

/** EF.CardAccess of the simulated CCCD. */
export function simulatedCardAccess(): { bytes: Uint8Array; info: PaceInfo } {
  const bytes = encodeSecurityInfos([encodePaceInfo({ ...SIMULATED_PACE, version: 2 })]);
  const decoded = decodeSecurityInfos(bytes);
  const info = decoded.ok ? decoded.value.infos[0] : undefined;
  if (info?.type !== 'pace') throw new Error('EF.CardAccess of the simulated card does not decode');
  return { bytes, info };
}

/**
 * The citizen of the reported-lost scenario: the card central's population data (simulators/central/
 * citizens.ts) has as reported lost, with the sample citizen's other fields.
 */
export const REPORTED_LOST_PERSON: PersonRecord = {
  ...SAMPLE_PERSON,
  id12: '079190001234',
  surname: 'Trần',
  givenNames: 'Thị Bích Ngọc',
  sex: 'F',
  dateOfBirth: '1990-07-14',
  dateOfExpiry: '2030-07-14',
  dg13: SAMPLE_PERSON.dg13.map((f) =>
    f.fieldNo === 1
      ? { fieldNo: 1, value: '079190001234' }
      : f.fieldNo === 2
        ? { fieldNo: 2, value: 'Trần Thị Bích Ngọc' }
        : f.fieldNo === 3
          ? { fieldNo: 3, value: '14/07/1990' }
          : f.fieldNo === 4
            ? { fieldNo: 4, value: 'Nữ' }
            : f.fieldNo === 11
              ? { fieldNo: 11, value: '15/04/2021' }
              : f.fieldNo === 12
                ? { fieldNo: 12, value: '14/07/2030' }
                : f,
  ),
};

/** The APDU during which card-pulled-mid-read pulls the card (1-based; mid-way through DG1/DG2). */
const PULL_AT_APDU = 12;

const DATA_SCENARIOS = [
  'dg3-missing',
  'tampered-dg',
  'unknown-csca',
  'expired-ds',
  'bad-signature',
  'dg13-missing-fields',
  'aa-rsa',
  'expired-card',
  'reported-lost',
];

function ecPrivateScalar(key: KeyObject): bigint {
  const d = key.export({ format: 'jwk' }).d;
  if (d === undefined) throw new TypeError('not an EC private key');
  return bytesToBigInt(new Uint8Array(Buffer.from(d, 'base64url')));
}

/** What a tester needs to open the card: the numbers printed on its front. */
export interface CardAccessInfo {
  readonly id12: string;
  /** YYMMDD. */
  readonly dateOfBirth: string;
  /** YYMMDD. */
  readonly dateOfExpiry: string;
  readonly mrzInformation: string;
  /** The card access number the simulated chip takes. */
  readonly can: string;
}

function yymmdd(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

/** Puts a fresh card into the reader the simulator is bound to (taking out the one there). */
export type ReinsertCard = (card: SimulatedCardOptions) => Promise<unknown>;

export class CccdCardSimulator implements SimulatorControl {
  readonly name = 'card';
  readonly description =
    'The simulated CCCD chip card (ICAO 9303 eMRTD: PACE, BAC, secure messaging, Chip and Active Authentication); a scenario applies to the next card put in a reader ("applyNow" or the reinsert action puts one in at once).';
  readonly scenarios: readonly string[] = CARD_SCENARIOS;
  /** A card is made whole when it is built for insertion: the one in the reader keeps its behaviour. */
  readonly scenarioTiming = 'next-insertion' as const;
  readonly person: PersonRecord;
  readonly pki: TestPki;
  readonly eac: TestEacPki;
  /** The person seed DG3's fingers were rendered from: the scanner's for the same holder. */
  readonly fingerprintSeed: number;
  readonly #options: CccdCardSimulatorOptions;
  #dg3: Uint8Array | undefined;
  /** DG2's JPEG made on the worker with DG3, and whom and what size it was made for. */
  #portraitJpeg: { id12: string; width: number; height: number; jpeg: Uint8Array } | undefined;
  #scenario: CardScenario;
  readonly #lds = new Map<string, BuiltLds>();
  /** card-pulled-mid-read: the next card built is pulled; cleared once a card was pulled. */
  #pullArmed: boolean;
  #reinsert: ReinsertCard | undefined;

  private constructor(pki: TestPki, eac: TestEacPki, options: CccdCardSimulatorOptions) {
    this.pki = pki;
    this.eac = eac;
    this.person = options.person ?? SAMPLE_PERSON;
    this.fingerprintSeed = options.fingerprintSeed ?? cardFingerprintSeed(this.person);
    this.#options = options;
    this.#scenario = options.scenario ?? 'valid';
    this.#pullArmed = this.#scenario === 'card-pulled-mid-read';
  }

  /**
   * Binds the reader the card goes into (the station's in-process reader), which enables
   * `applyScenarioNow` and the `reinsert` action.
   */
  bindReader(reinsert: ReinsertCard): void {
    this.#reinsert = reinsert;
  }

  get actions(): readonly SimulatorAction[] {
    if (this.#reinsert === undefined) return [];
    return [
      {
        name: 'reinsert',
        description:
          'Take the card out of the reader and put a fresh card of the current scenario in (the scenario applies at once).',
        input: { type: 'object', additionalProperties: false, properties: {} },
        run: () => this.applyScenarioNow(),
      },
    ];
  }

  /**
   * Takes the card out of the bound reader and puts a fresh one of the current scenario in.
   * Rejects with SimulatorActionError SIM_CARD_NO_READER when no reader is bound.
   */
  async applyScenarioNow(): Promise<unknown> {
    if (this.#reinsert === undefined)
      throw new SimulatorActionError(
        'SIM_CARD_NO_READER',
        'This card simulator is not bound to a reader: the scenario applies to the next card inserted',
      );
    return this.#reinsert(this.card());
  }

  /**
   * Mints the test PKIs (about 20 ms: ECDSA P-256 for PA, brainpoolP256r1 for EAC). With
   * `dg3InWorker`, also renders DG3's fingers on a worker thread (about 2 s of CPU) so that the
   * caller's event loop stays free; otherwise DG3 is built, on this thread, with the first card.
   */
  static async create(
    options: CccdCardSimulatorOptions & { readonly dg3InWorker?: boolean } = {},
  ): Promise<CccdCardSimulator> {
    const today = options.today ?? new Date().toISOString().slice(0, 10);
    const sim = new CccdCardSimulator(await createTestPki('ecdsa-p256'), createTestEacPki(today), options);
    if (options.dg3InWorker) await sim.prepareFingerprints();
    return sim;
  }

  /**
   * Renders DG3's fingers and DG2's portrait on a worker thread now (about 2 s and half a second of
   * CPU), so that the first card built does not do it on the caller's thread. Resolves once they are
   * ready; a second call is free.
   */
  async prepareFingerprints(options: { readonly cacheDir?: string } = {}): Promise<void> {
    if (this.#dg3 !== undefined) return;
    const size = this.#portraitSize();
    const inputs = { id12: this.person.id12, ...size };
    const file =
      options.cacheDir === undefined
        ? undefined
        : path.join(
            options.cacheDir,
            `card-images-${this.fingerprintSeed}-${inputs.id12}-${size.width}x${size.height}.${IMAGES_CACHE_VERSION}`,
          );
    const made =
      (file === undefined ? undefined : await readCachedImages(file, this.fingerprintSeed, inputs)) ??
      (await buildImagesInWorker(this.fingerprintSeed, inputs));
    if (file !== undefined) await writeCachedImages(file, this.fingerprintSeed, inputs, made);
    this.#dg3 ??= made.dg3;
    this.#portraitJpeg ??= { id12: this.person.id12, ...size, jpeg: made.portraitJpeg };
  }

  #portraitSize(): { width: number; height: number } {
    return {
      width: this.#options.portrait?.width ?? PORTRAIT_WIDTH,
      height: this.#options.portrait?.height ?? PORTRAIT_HEIGHT,
    };
  }

  /** The terminal certificate the current scenario hands out. */
  #terminal(): IssuedCvc {
    if (this.#scenario === 'ta-expired-terminal') return this.eac.expiredTerminal;
    if (this.#scenario === 'ta-no-dg3-right') return this.eac.noDg3Terminal;
    return this.eac.terminal;
  }

  /** The EAC certificates a station holds: the CVCA, the link to the next CVCA, the DV, the terminal. */
  terminalCertificates(): CvCertificate[] {
    const { cvca, link, dv } = this.eac;
    return [cvca, link, dv, this.#terminal()].map((c) => c.certificate);
  }

  /**
   * Terminal credentials for the current scenario (certificates and a signer holding the terminal
   * key in memory), as a station configured with `exportTrust`'s folder would have them.
   */
  terminalCredentials(): TerminalCredentials {
    const terminal = this.#terminal();
    return {
      certificates: this.terminalCertificates(),
      signer: { sign: async (message) => signPlain(terminal.key, message) },
    };
  }

  /**
   * Writes the trust a station needs into `dir`: the CSCA (a PA trust-store folder) and, under
   * `dir/eac`, the EAC credentials of the current scenario (writeEacTrustFolder). Returns the EAC
   * folder.
   */
  async exportTrust(dir: string): Promise<string> {
    await writeTrustStoreFolder(dir, [this.cscaCertificate]);
    const eacDir = path.join(dir, 'eac');
    await writeEacTrustFolder(eacDir, this.eac, this.#terminal());
    return eacDir;
  }

  /** The trusted CSCA certificate (DER), for the reader's trust store. */
  get cscaCertificate(): Uint8Array {
    return this.pki.csca.certificate;
  }

  /** The numbers printed on the card of the current scenario, which open it. */
  access(): CardAccessInfo {
    const person = this.#cardHolder();
    const dateOfBirth = yymmdd(person.dateOfBirth);
    const dateOfExpiry = yymmdd(person.dateOfExpiry);
    const info = cccdMrzInformation(person.id12, dateOfBirth, dateOfExpiry);
    if (!info.ok) throw new RangeError(`the person record does not make a CCCD key: ${info.error.detail}`);
    return {
      id12: person.id12,
      dateOfBirth,
      dateOfExpiry,
      mrzInformation: info.value,
      can: this.#options.can ?? this.person.id12.slice(-6),
    };
  }

  scenario(): string {
    return this.#scenario;
  }

  setScenario(name: string): void {
    if (!(CARD_SCENARIOS as readonly string[]).includes(name))
      throw new RangeError(`unknown card scenario '${name}'`);
    this.#scenario = name as CardScenario;
    this.#pullArmed = name === 'card-pulled-mid-read';
  }

  snapshot(): unknown {
    const { id12, dateOfBirth, dateOfExpiry, can } = this.access();
    return {
      scenario: this.#scenario,
      ...(this.#scenario === 'card-pulled-mid-read' ? { pullPending: this.#pullArmed } : {}),
      person: { id12, dateOfBirth, dateOfExpiry, can },
      csca: this.pki.csca.name,
      fingerprintSeed: this.fingerprintSeed,
      eac: {
        trustPoint: (this.#scenario === 'ta-wrong-cvca' ? this.eac.otherCvca : this.eac.cvca).certificate.chr,
        terminal: this.#terminal().certificate.chr,
        terminalValid: [
          this.#terminal().certificate.effectiveDate,
          this.#terminal().certificate.expirationDate,
        ],
      },
    };
  }

  /** The chip's files for the current scenario (built once per data scenario). */
  lds(): BuiltLds {
    const data = this.#dataScenario();
    const cached = this.#lds.get(data);
    if (cached) return cached;
    const { pki } = this;
    const portrait = {
      ...(this.#options.portrait === undefined ? {} : { portrait: this.#options.portrait }),
      ...(this.#options.portraitJpeg === undefined ? {} : { portraitJpeg: this.#options.portraitJpeg }),
    };
    const signer =
      data === 'unknown-csca'
        ? pki.unknownDocumentSigner
        : data === 'expired-ds'
          ? pki.expiredDocumentSigner
          : pki.documentSigner;
    let options: LdsBuildOptions = {
      documentSigner: signer,
      ...portrait,
      ...(data === 'tampered-dg' ? { tamperDataGroup: 2 as const } : {}),
      ...(data === 'bad-signature' ? { corruptSodSignature: true } : {}),
      ...(data === 'aa-rsa' ? { activeAuthentication: 'rsa-2048' as const } : {}),
      ...(data === 'dg3-missing' ? {} : { dg3: this.#fingerprints() }),
    };
    const holder = this.#cardHolder();
    // DG2 made on the worker, when it was made for this holder and size (a portrait given in the
    // options, such as a real photograph, always wins).
    const size = this.#portraitSize();
    const made = this.#portraitJpeg;
    if (
      this.#options.portraitJpeg === undefined &&
      made?.id12 === holder.id12 &&
      made.width === size.width &&
      made.height === size.height
    )
      options = { ...options, portraitJpeg: made.jpeg };
    const built = buildLds(
      data === 'dg13-missing-fields' ? { ...holder, dg13: SAMPLE_PERSON_SPARSE_DG13 } : holder,
      options,
    );
    this.#lds.set(data, built);
    return built;
  }

  /**
   * The person record the current scenario's card carries: for expired-card, the card issued at
   * 17 on 1 March of that year, expiring on the 25th birthday (DG1 and DG13 fields 11 and 12).
   */
  #cardHolder(): PersonRecord {
    const person = this.person;
    if (this.#scenario === 'reported-lost') return REPORTED_LOST_PERSON;
    if (this.#scenario !== 'expired-card') return person;
    const birthYear = Number(person.dateOfBirth.slice(0, 4));
    const issued = `01/03/${birthYear + 17}`;
    const expiry = birthdayAt(person.dateOfBirth, 25);
    const printed = `${expiry.slice(8, 10)}/${expiry.slice(5, 7)}/${expiry.slice(0, 4)}`;
    return {
      ...person,
      dateOfExpiry: expiry,
      dg13: person.dg13.map((field) =>
        field.fieldNo === 11
          ? { fieldNo: 11, value: issued }
          : field.fieldNo === 12
            ? { fieldNo: 12, value: printed }
            : field,
      ),
    };
  }

  /** DG3 for the holder, made once (a quarter of a second): the same fingers in every scenario. */
  #fingerprints(): Uint8Array {
    this.#dg3 ??= buildDg3(this.fingerprintSeed);
    return this.#dg3;
  }

  #dataScenario(): string {
    const s = this.#scenario;
    return DATA_SCENARIOS.includes(s) ? s : 'valid';
  }

  /** A fresh card for the current scenario, to insert into a reader (in-process or vpcd). */
  card(): SimulatedCardOptions {
    const extendedLength = this.#options.extendedLength ?? true;
    const scenario = this.#scenario;
    let mrzInformation = this.access().mrzInformation;
    let can = scenario === 'other-can' ? '999999' : this.access().can;
    if (scenario === 'wrong-access-key') {
      // Another person's numbers: the tester's (the printed ones) no longer open the chip.
      const other = cccdMrzInformation('079201000001', '920315', '320315');
      if (other.ok) mrzInformation = other.value;
      can = '000001';
    }
    const lds = this.lds();
    const cardAccess = simulatedCardAccess();
    // A clone carries the data, not the private keys: it answers with keys of its own.
    const cloned = scenario === 'cloned-chip';
    const caKey = cloned
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
      : lds.chipAuthenticationKey;
    const aaKey = cloned
      ? lds.activeAuthenticationKey.asymmetricKeyType === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
        : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
      : lds.activeAuthenticationKey;
    const curve = curveByName('prime256v1');
    if (!curve) throw new Error('P-256 missing');
    const chip = new SimulatedEmrtdCard({
      crypto: nodeIcao9303Crypto,
      mrzInformation,
      files: lds.files,
      extendedLength,
      ...(scenario === 'bad-mac' ? { badMacOnResponse: 3 } : {}),
      ...(scenario === 'bac-only'
        ? {}
        : {
            cardAccess: cardAccess.bytes,
            pace: {
              info: cardAccess.info,
              can,
            },
          }),
      ...(scenario === 'pace-only' ? { bac: false } : {}),
      ...(scenario === 'pace-refused' ? { refusePaceWith: 0x6982 } : {}),
      ...(scenario === 'select-mf-refused' ? { selectMfStatus: 0x6d00 } : {}),
      chipAuthentication: {
        crypto: nodeIcao9303Crypto,
        curve,
        privateKey: ecPrivateScalar(caKey),
        protocol: chipAuthenticationOid('aes-128'),
        cipher: 'aes-128',
      },
      activeAuthentication: (challenge) => signActiveAuthentication(aaKey, challenge, { hash: 'sha256' }),
      terminalAuthentication: {
        crypto: nodeIcao9303Crypto,
        trustPoints: [(scenario === 'ta-wrong-cvca' ? this.eac.otherCvca : this.eac.cvca).certificate],
        // A chip last updated by a certificate a month ago: its date lags the real one.
        currentDate: addDays(this.eac.today, -30),
      },
    });
    return {
      atr: contactlessAtr(capabilityHistoricalBytes({ extendedLength })),
      application: (apdu) => chip.handle(apdu),
      onPower: () => chip.reset(),
      ...(scenario === 'slow-card' ? { latencyMs: 150 } : {}),
      ...(scenario === 'card-pulled-mid-read' && this.#pullArmed
        ? {
            removeDuringApdu: PULL_AT_APDU,
            // Pulled once: the card put back after it reads (unless the scenario is set again).
            onApdu: (trace: { readonly index: number; readonly response: Uint8Array | undefined }) => {
              if (trace.index === PULL_AT_APDU && trace.response === undefined) this.#pullArmed = false;
            },
          }
        : {}),
    };
  }
}

/** buildDg3 and the DG2 portrait on a worker thread (dg3-worker.ts). */
/**
 * The cache's format version: raise it when the generator, the DG3 encoding or the portrait change,
 * so a tester's data directory does not keep serving the images of before.
 */
const IMAGES_CACHE_VERSION = 'v1';

interface CardImages {
  readonly dg3: Uint8Array;
  readonly portraitJpeg: Uint8Array;
}

/**
 * A simulated card's images kept from an earlier start (`<dataDir>/sim` for the embedded station),
 * or undefined when absent, unreadable or made for other inputs: rendering them again costs about
 * 2.5 s of CPU at every start, beside the station's own start on a two-core machine.
 */
async function readCachedImages(
  file: string,
  seed: number,
  portrait: { id12: string; width: number; height: number },
): Promise<(CardImages & { readonly cached: true }) | undefined> {
  try {
    const kept = deserialize(await readFile(file)) as Partial<CardImages> & { inputs?: unknown };
    if (JSON.stringify(kept.inputs) !== JSON.stringify({ seed, ...portrait })) return undefined;
    if (!(kept.dg3 instanceof Uint8Array) || !(kept.portraitJpeg instanceof Uint8Array)) return undefined;
    return { dg3: kept.dg3, portraitJpeg: kept.portraitJpeg, cached: true };
  } catch {
    return undefined;
  }
}

/** Keeps freshly made images for the next start: written whole then renamed, so never torn. */
async function writeCachedImages(
  file: string,
  seed: number,
  portrait: { id12: string; width: number; height: number },
  made: CardImages & { readonly cached?: true },
): Promise<void> {
  if (made.cached) return;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(
      temp,
      serialize({ inputs: { seed, ...portrait }, dg3: made.dg3, portraitJpeg: made.portraitJpeg }),
    );
    await rename(temp, file);
  } catch {
    // A cache that cannot be written only costs the next start its render.
  }
}

function buildImagesInWorker(
  seed: number,
  portrait: { id12: string; width: number; height: number },
): Promise<{ dg3: Uint8Array; portraitJpeg: Uint8Array }> {
  return new Promise((resolve, reject) => {
    // From the sources the worker module is TypeScript: it starts through an entry that loads tsx first.
    const module = siblingModule('./dg3-worker', import.meta.url);
    const worker = new Worker(workerStartUrl(module, new URL('./worker-entry.mjs', import.meta.url)), {
      workerData: { module: module.href, seed, portrait },
    });
    let done = false;
    worker.once('message', (made: { dg3: Uint8Array; portraitJpeg: Uint8Array }) => {
      done = true;
      resolve(made);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      done = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`the DG3 worker exited with code ${code} before answering`));
    });
  });
}
