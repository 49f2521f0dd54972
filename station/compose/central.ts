/**
 * Composition of store-and-forward (issue 18): the outbox, central (the embedded simulator in a
 * child process, or a remote service), the station's credentials, the session (registration and
 * central's encryption certificate), the sealer and the uploader.
 *
 * The embedded central runs in its own process (simulators/central/process.ts), off the station's
 * event loop: its packet checks and TLS never delay the officer's screen or /health.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createNodePacketCrypto } from '../../drivers/crypto/packet-node.ts';
import { issueStationCertificate } from '../../simulators/central/pki.ts';
import { type SpawnedCentral, spawnCentral } from '../../simulators/central/process.ts';
import { openAnchorStore } from '../audit/index.ts';
import { type CentralCredentials, loadCentralCredentials } from '../central/credentials.ts';
import { HttpCentralLink } from '../central/link.ts';
import { CentralSession } from '../central/session.ts';
import type { Clock } from '../clock.ts';
import type { StationConfig } from '../config/schema.ts';
import { NodeOutboxFs } from '../outbox/node-fs.ts';
import { Outbox } from '../outbox/outbox.ts';
import { PacketBuilder } from '../packets/builder.ts';
import { Sealer } from '../packets/sealer.ts';
import {
  CentralTransport,
  type CentralUploader,
  createCentralUploader,
  uploaderSettingsFromConfig,
} from '../uploader/index.ts';

const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;

export interface StoreAndForward {
  readonly outbox: Outbox;
  readonly sealer: Sealer;
  readonly uploader: CentralUploader;
  readonly session: CentralSession;
  readonly link: HttpCentralLink;
  readonly credentials: CentralCredentials;
  readonly centralUrl: string;
  /** For small requests to central (status queries), with the station's mutual TLS. */
  readonly transport: CentralTransport;
  /** The embedded central's pid, when it runs here. */
  readonly embeddedCentralPid?: number;
  close(): Promise<void>;
}

async function readText(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw Object.assign(new Error(`${key}: cannot read ${file} (${String(cause)})`), {
      code: 'CONFIG_FILE_UNREADABLE',
    });
  }
}

/**
 * @throws the child's CentralSpawnError when the embedded central cannot start; KeyError for the
 *   station's key store; the fs error when the outbox folder cannot be created.
 */
export async function composeStoreAndForward(
  config: StationConfig,
  clock: Clock,
  log: (message: string) => void = () => {},
  /** The embedded central when the caller has started it already (see ComposeOptions). */
  started?: Promise<SpawnedCentral>,
): Promise<StoreAndForward> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await Promise.resolve(closer()).catch(() => {});
  };
  // A central started by the caller is ours from here: stopped if anything below fails (first
  // registered, so stopped last).
  if (started !== undefined)
    closers.push(() =>
      started.then(
        (central) => central.stop(),
        () => undefined,
      ),
    );
  try {
    const outbox = await Outbox.open({
      fs: new NodeOutboxFs(path.join(config.dataDir, 'outbox')),
      now: () => clock.now(),
      monotonic: () => clock.monotonic(),
      retentionMs: config.outbox.retentionDays * DAY_MS,
      limits: {
        reserveBytes: config.outbox.reserveMiB * MIB,
        maxWaiting: config.outbox.maxWaiting,
        maxDaysOffline: config.outbox.maxDaysOffline,
      },
    });

    let url: string;
    let tlsCaPem: string;
    let statementCertificatesPem: string;
    let issueFirstCertificate: Parameters<typeof loadCentralCredentials>[0]['issueFirstCertificate'];
    let embeddedCentralPid: number | undefined;
    if (config.central.mode === 'embedded') {
      const centralDir = path.join(config.dataDir, 'central');
      const central = await (started ??
        spawnCentral({ dataDir: centralDir, environment: config.environment }));
      if (started === undefined) closers.push(() => central.stop());
      embeddedCentralPid = central.pid;
      url = central.url;
      tlsCaPem = central.tlsCaPem;
      statementCertificatesPem = central.statementCertificatesPem.join('\n');
      issueFirstCertificate = (csr) => issueStationCertificate(centralDir, csr);
    } else {
      // The schema requires all three in remote mode.
      url = (config.central.url ?? '').replace(/\/+$/, '');
      tlsCaPem = await readText(config.central.tlsCa ?? '', 'central.tlsCa');
      statementCertificatesPem = await readText(
        config.central.statementCertificates ?? '',
        'central.statementCertificates',
      );
    }

    const credentials = await loadCentralCredentials({
      dataDir: config.dataDir,
      stationId: config.stationId,
      tlsCaPem,
      statementCertificatesPem,
      ...(issueFirstCertificate === undefined ? {} : { issueFirstCertificate }),
    });
    closers.push(() => credentials.signer.close?.());

    const crypto = createNodePacketCrypto();
    const uploader = createCentralUploader({
      // The audit anchor central echoes in each receipt, kept for `station audit verify`.
      anchors: openAnchorStore(config.dataDir),
      url,
      tls: credentials.tls,
      outbox,
      pinned: credentials.statementKeys,
      verifySignature: (check) => crypto.verifySignature(check),
      stationId: config.stationId,
      environment: config.environment,
      clock,
      settings: uploaderSettingsFromConfig(config.uploader),
    });
    closers.push(() => uploader.close());
    // What the officer's screen shows goes to the service log too, for support.
    closers.push(
      uploader.uploader.subscribe((event) => {
        if (event.type === 'problem')
          log(
            `upload problem ${event.code}${event.packetId ? ` for ${event.packetId}` : ''}: ${event.detail} (again in ${Math.round(event.retryInMs)} ms)`,
          );
        else if (event.type === 'dead-lettered')
          log(`packet ${event.packetId} refused by central for good: ${event.code} (${event.message.en})`);
      }),
    );

    // Registration, central's certificate and status queries: small requests on their own sockets.
    const transport = new CentralTransport({ tls: credentials.tls, maxSockets: 2 });
    closers.push(() => transport.close());
    const session = new CentralSession({
      url,
      transport,
      certificatePem: credentials.certificatePem,
      cacheDir: path.join(config.dataDir, 'central-link'),
      retry: { initialMs: config.uploader.backoff.initialMs, maxMs: config.uploader.backoff.maxMs },
      log,
    });
    closers.push(() => session.close());
    await session.start();
    // Upload once registered; until then packets wait in the outbox (and seal offline).
    void session.ready.then(() => uploader.uploader.start());

    // Receipts older than the retention period go, with their packets: at start, then hourly.
    const purge = () =>
      outbox.purgeExpired().then(
        (purged) => {
          if (purged.length > 0) log(`purged ${purged.length} acknowledged packets past retention`);
        },
        (error: unknown) =>
          log(`outbox purge failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    void purge();
    const purgeTimer = setInterval(() => void purge(), 3_600_000);
    purgeTimer.unref();
    closers.push(() => clearInterval(purgeTimer));

    const builder = new PacketBuilder();
    closers.push(() => builder.close());
    const sealer = new Sealer({
      builder,
      outbox,
      credentials: async () => ({
        signer: credentials.signer,
        recipientCertificate: session.recipientCertificate(),
      }),
      clock,
      stationId: config.stationId,
      environment: config.environment,
      onSealed: () => uploader.uploader.wake(),
    });

    const link = new HttpCentralLink({
      url,
      mode: config.central.mode,
      environment: config.environment,
      timeoutMs: config.central.timeoutMs,
      clock,
      tls: credentials.tls,
    });

    return {
      outbox,
      sealer,
      uploader,
      session,
      link,
      credentials,
      centralUrl: url,
      transport,
      ...(embeddedCentralPid === undefined ? {} : { embeddedCentralPid }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
