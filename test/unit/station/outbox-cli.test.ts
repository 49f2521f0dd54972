/**
 * `station outbox list|show|retry|export|import` and `station central status` against a real
 * station (the embedded default: simulated devices, the embedded central over mutual TLS) listening
 * on a loopback port, through `main` as a person types them. Packets are sealed by the applicant
 * simulator; central's faults keep packets waiting; a round trip goes out on "USB" (a temp folder),
 * through central's ingest, and back in.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peekStatement } from '../../../protocol/central/statement.ts';
import type { StationDeps } from '../../../station/app.ts';
import { main } from '../../../station/cli/main.ts';
import { systemClock } from '../../../station/clock.ts';
import { recordingIo } from '../../support/cli.ts';
import { embeddedStation, tempDir } from '../../support/station.ts';

let app: FastifyInstance;
let deps: StationDeps;
let cleanup: () => Promise<void>;
let base: string;
let centralUrl: string;
let centralCa: string;
const tmp = tempDir('outbox-cli-');

function uuid(n: number): string {
  return `c11c0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

interface Sealed {
  readonly packetId: string;
  readonly sha256: string;
  readonly size: number;
}

async function enroll(n: number): Promise<Sealed> {
  const response = await app.inject({
    method: 'POST',
    url: '/sim/applicant/actions/enroll',
    payload: { seed: 18, packetId: uuid(n), enrollmentSessionId: uuid(1000 + n) },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().result as Sealed;
}

async function stateOf(packetId: string): Promise<string | undefined> {
  const response = await app.inject(`/outbox/${packetId}`);
  return response.statusCode === 200 ? (response.json().entry.state as string) : undefined;
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `station ...` with --url of the test station (unless told otherwise), in the temp folder. */
async function station(args: readonly string[], options: { url?: boolean } = {}) {
  const io = recordingIo(tmp.dir);
  const code = await main(options.url === false ? args : [...args, '--url', base], io);
  return { code, out: io.out, err: io.err };
}

/** The central simulator's open /v1/sim/ routes (faults, ingest). */
function centralSim(method: string, route: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${centralUrl}${route}`,
      {
        method,
        ca: centralCa,
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Every central route but the simulator's own fails with 503: packets stay waiting. */
const centralDown = () =>
  centralSim('PUT', '/v1/sim/faults', { faults: [{ kind: 'error5xx', path: '/v1/' }] });
const centralUp = () => centralSim('DELETE', '/v1/sim/faults');

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

/** The line of `text` that starts with `packetId`. */
function lineOf(text: string, packetId: string): string {
  return text.split('\n').find((line) => line.startsWith(packetId)) ?? '';
}

let acked: Sealed;
let waiting: Sealed;
let refused: Sealed;

beforeAll(async () => {
  const started = await embeddedStation({ hotpath: { workers: 1 } }, systemClock);
  app = started.app;
  deps = started.deps;
  cleanup = started.cleanup;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
  centralUrl = (await app.inject('/health')).json().central.url;
  centralCa = readFileSync(path.join(deps.config.dataDir, 'central', 'tls', 'ca.crt'), 'utf8');
  await waitFor(
    'the uploader online',
    async () => (await app.inject('/outbox')).json().uploader.online,
    60_000,
  );

  // One packet acknowledged, then central down: one waiting, one dead-lettered.
  acked = await enroll(1);
  await waitFor('the receipt', async () => (await stateOf(acked.packetId)) === 'acknowledged');
  expect(await centralDown()).toBe(200);
  waiting = await enroll(2);
  refused = await enroll(3);
  // A refusal central signed is what dead-letters a packet; here the outbox is told directly.
  await deps.storeAndForward?.outbox.deadLetter(refused.packetId, {
    code: 'CENTRAL_SIGNATURE_INVALID',
    message: 'Chữ ký của gói không hợp lệ. / The packet signature is invalid.',
  });
}, 120_000);

afterAll(async () => {
  await cleanup?.();
  tmp.remove();
});

describe('station outbox and central: registration and command lines', () => {
  it('are listed, with help for the groups and each command', async () => {
    let run = await station(['--help'], { url: false });
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out, run.err).toMatch(/\n {2}outbox\s+Store-and-forward/);
    expect(run.out, run.err).toMatch(/\n {2}central\s+The card-production service/);
    run = await station(['outbox', '--help'], { url: false });
    expect(run.code, run.out + run.err).toBe(0);
    for (const name of ['list', 'show', 'retry', 'export', 'import'])
      expect(run.out, run.err).toMatch(new RegExp(`\\n {2}${name}\\s`));
    run = await station(['outbox', 'import', '--help'], { url: false });
    expect(run.out, run.err).toMatch(/^Usage: station outbox import --from FOLDER/);
    expect(run.out, run.err).toMatch(/Exit 0 only when no file was refused/);
    run = await station(['outbox', 'export', '--help'], { url: false });
    expect(run.out, run.err).toMatch(/EXPORT_NO_SPACE \(not enough room on the\s+media\)/);
    run = await station(['central', 'status', '--help'], { url: false });
    expect(run.out, run.err).toMatch(/^Usage: station central status PACKET/);
  });

  it.each([
    [['outbox'], /Commands:/],
    [
      ['outbox', 'list', '--state', 'lost'],
      /--state must be one of: queued, uploading, acknowledged, dead-letter/,
    ],
    [['outbox', 'list', '--limit', '0'], /--limit must be a positive integer/],
    [['outbox', 'list', '--limit', '10001'], /--limit must be at most 10000/],
    [['outbox', 'list', 'extra'], /unexpected argument 'extra'/],
    [['outbox', 'show'], /missing argument/],
    [['outbox', 'show', '../etc/passwd'], /'..\/etc\/passwd' is not a packet id/],
    [['outbox', 'retry', 'a', 'b'], /unexpected argument 'b'/],
    [['outbox', 'export'], /--to FOLDER is required/],
    [['outbox', 'export', '--to', 'a', '--to', 'b'], /--to was given more than once/],
    [['outbox', 'export', '--to', 'a', '--packet', 'x/y'], /'x\/y' is not a packet id/],
    [['outbox', 'import'], /--from FOLDER is required/],
    [['outbox', 'import', '--from', 'a', '--json', '--from', 'b'], /--from was given more than once/],
    [['outbox', 'import', '--from', 'a', '--force'], /Unknown option '--force'/],
    [['central', 'status'], /missing argument/],
    [['central', 'stats', 'x'], /unknown command 'stats'/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const run = await station(args, { url: false });
    expect(run.code, run.out + run.err).toBe(2);
    expect(run.err, run.out).toMatch(message);
    expect(run.out).toBe('');
  });

  it('says where it looked when no station answers', async () => {
    const run = await station(['outbox', 'list', '--url', `127.0.0.1:${await closedPort()}`], { url: false });
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/No station answers at http:\/\/127\.0\.0\.1:\d+ \(from --url\)/);
  });
});

describe('station outbox against the running station', () => {
  it('list: the offline figures, then each packet; the dead letter stands out', async () => {
    const run = await station(['outbox', 'list']);
    expect(run.code, run.err).toBe(0);
    expect(run.out, run.err).toMatch(
      /^Waiting: +1 packet, [\d.]+ KB; waiting since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(0 days offline, limit 7\)$/m,
    );
    expect(run.out, run.err).toMatch(
      /^Uploader: +(online|OFFLINE|STOPPED).*last success \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m,
    );
    expect(run.out, run.err).toMatch(/^Disk free: +[\d.]+ [KMGT]B \([\d.]+ [KMGT]B kept in reserve\)$/m);
    expect(run.out, run.err).toMatch(/^New enrollments: (accepted|REFUSED: OUTBOX_)/m);
    expect(run.out, run.err).toMatch(
      /^Totals: +[01] queued, [01] uploading, 1 acknowledged, 1 dead-letter, 0 quarantined$/m,
    );
    expect(run.out, run.err).toMatch(
      /^!! 1 packet DEAD-LETTERED \(refused for good by central; reason below\): fix the cause, then 'station outbox retry PACKET'$/m,
    );
    expect(lineOf(run.out, acked.packetId), run.out).toMatch(
      /^\S+ +acknowledged +[\d.]+ KB +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +acknowledged \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    );
    expect(lineOf(run.out, waiting.packetId), run.out).toMatch(/^\S+ +(queued|uploading) +[\d.]+ KB +\d{4}-/);
    expect(lineOf(run.out, refused.packetId), run.out).toMatch(
      /^\S+ +DEAD-LETTER +[\d.]+ KB +\d{4}-\S+ \S+ +CENTRAL_SIGNATURE_INVALID: .*The packet signature is invalid\.$/,
    );
    // Newest first.
    expect(run.out.indexOf(refused.packetId)).toBeLessThan(run.out.indexOf(acked.packetId));
  });

  it('list --state and --limit leave packets out, never the dead letter', async () => {
    let run = await station(['outbox', 'list', '--state', 'acknowledged']);
    expect(run.code, run.out + run.err).toBe(0);
    expect(lineOf(run.out, acked.packetId), run.out).toMatch(/acknowledged/);
    expect(run.out).not.toContain(waiting.packetId);
    expect(run.out, run.err).toMatch(
      /Dead-lettered, not in the list above:\nPACKET.*\n\S+ +DEAD-LETTER .*CENTRAL_SIGNATURE_INVALID/,
    );
    run = await station(['outbox', 'list', '--limit', '1']);
    expect(run.out, run.err).toMatch(/^\(1 of 3 packets shown; --limit N shows more\)$/m);
    expect(lineOf(run.out, refused.packetId), run.out).toMatch(/DEAD-LETTER/);
    run = await station(['outbox', 'list', '--state', 'dead-letter', '--json']);
    const answer = JSON.parse(run.out);
    expect(answer.total).toBe(1);
    expect(answer.packets[0]).toMatchObject({
      packetId: refused.packetId,
      deadLetter: { code: 'CENTRAL_SIGNATURE_INVALID' },
    });
    expect(answer.stats).toMatchObject({ acknowledged: 1, deadLetter: 1 });
    expect(typeof answer.accept.ok).toBe('boolean');
  });

  it("show: the packet's details, and central's receipt written to a file", async () => {
    let run = await station(['outbox', 'show', acked.packetId, '--out-receipt', 'receipt.jws']);
    expect(run.code, run.err).toBe(0);
    expect(run.out, run.err).toMatch(/^State: +acknowledged$/m);
    expect(run.out, run.err).toMatch(new RegExp(`^SHA-256: +${acked.sha256}$`, 'm'));
    expect(run.out, run.err).toMatch(new RegExp(`^Size: +[\\d.]+ KB \\(${acked.size} bytes\\)$`, 'm'));
    expect(run.out, run.err).toMatch(/^Receipt: +central received it \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(run.err, run.out).toMatch(/receipt written to .*receipt\.jws/);
    const statement = peekStatement(readFileSync(path.join(tmp.dir, 'receipt.jws')));
    expect(statement).toMatchObject({
      kind: 'receipt',
      packetId: acked.packetId,
      sha256: acked.sha256,
      size: acked.size,
      stationId: deps.config.stationId,
    });

    run = await station(['outbox', 'show', waiting.packetId, '--out-receipt', 'none.jws']);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.out, run.err).toMatch(/^State: +(queued|uploading)$/m);
    expect(run.err, run.out).toMatch(
      /^OUTBOX_NO_RECEIPT: packet \S+ is (queued|uploading): it has no receipt/,
    );

    run = await station(['outbox', 'show', refused.packetId]);
    expect(run.out, run.err).toMatch(/^Dead letter: +CENTRAL_SIGNATURE_INVALID: Chữ ký/m);
    expect(run.out, run.err).toMatch(
      new RegExp(`^What to do: +fix the cause, then 'station outbox retry ${refused.packetId}'$`, 'm'),
    );

    run = await station(['outbox', 'show', uuid(999)]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^OUTBOX_UNKNOWN_PACKET: /);
  });

  it('retry: an unknown or acknowledged packet is refused with its code; a dead letter goes back to the queue', async () => {
    let run = await station(['outbox', 'retry', uuid(999)]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(new RegExp(`^OUTBOX_UNKNOWN_PACKET: .*${uuid(999)}`));
    run = await station(['outbox', 'retry', acked.packetId]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^OUTBOX_WRONG_STATE: .*already acknowledged/);
    run = await station(['outbox', 'retry', refused.packetId]);
    expect(run.code, run.err).toBe(0);
    expect(run.out, run.err).toMatch(
      new RegExp(`^Packet ${refused.packetId} is queued; the uploader sends it now\\.$`, 'm'),
    );
    expect(['queued', 'uploading']).toContain(await stateOf(refused.packetId));
  });

  it('export to a relative folder, central ingests it, import brings the receipts back', async () => {
    mkdirSync(path.join(tmp.dir, 'usb'));
    let run = await station([
      'outbox',
      'export',
      '--to',
      'usb',
      '--packet',
      waiting.packetId,
      '--packet',
      refused.packetId,
    ]);
    expect(run.code, run.err).toBe(0);
    const made = /^Exported 2 packets \([\d.]+ KB\) to (\S+)$/m.exec(run.out);
    expect(made, run.out).not.toBeNull();
    const folder = made?.[1] ?? '';
    expect(path.dirname(folder)).toBe(path.join(tmp.dir, 'usb'));
    expect(path.basename(folder)).toMatch(/^cccd-outbox-export-/);
    run = await station(['outbox', 'list']);
    expect(lineOf(run.out, waiting.packetId), run.out).toMatch(/exported \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    expect(await centralSim('POST', '/v1/sim/ingest', { folder })).toBe(200);
    run = await station(['outbox', 'import', '--from', path.relative(tmp.dir, folder)]);
    expect(run.code, run.err).toBe(0);
    expect(run.out, run.err).toMatch(new RegExp(`^${waiting.packetId}\\.jws +acknowledged$`, 'm'));
    expect(run.out, run.err).toMatch(new RegExp(`^${refused.packetId}\\.jws +acknowledged$`, 'm'));
    expect(run.out, run.err).toMatch(
      /^2 files read from \S+: 2 acknowledged, 0 already acknowledged, 0 dead-lettered, 0 refused$/m,
    );
    expect(await stateOf(waiting.packetId)).toBe('acknowledged');
    expect(await stateOf(refused.packetId)).toBe('acknowledged');

    run = await station(['outbox', 'import', '--from', folder]);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out, run.err).toMatch(/0 acknowledged, 2 already acknowledged/);

    // Nothing waits any more: the station refuses, and the code comes first.
    run = await station(['outbox', 'export', '--to', 'usb']);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^EXPORT_NOTHING_TO_EXPORT: .*No packet is waiting/);
    run = await station(['outbox', 'export', '--to', 'no-such-stick']);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^EXPORT_[A-Z_]+: /);
  }, 60_000);

  it('import refuses a forged receipt (exit 1, its code shown) and applies nothing', async () => {
    const sealed = await enroll(4);
    mkdirSync(path.join(tmp.dir, 'forged', 'receipts'), { recursive: true });
    writeFileSync(
      path.join(tmp.dir, 'forged', 'receipts', `${sealed.packetId}.jws`),
      'eyJhbGciOiJFUzI1NiJ9.e30.AAAA',
    );
    let run = await station(['outbox', 'import', '--from', 'forged']);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.out, run.err).toMatch(
      new RegExp(`^${sealed.packetId}\\.jws +REFUSED +IMPORT_STATEMENT_[A-Z_]+: `, 'm'),
    );
    expect(run.out, run.err).toMatch(/0 acknowledged, 0 already acknowledged, 0 dead-lettered, 1 refused$/m);
    expect(run.err, run.out).toMatch(
      /^IMPORT_STATEMENT_[A-Z_]+: 1 file refused; nothing from it was applied$/m,
    );
    expect(['queued', 'uploading']).toContain(await stateOf(sealed.packetId));

    mkdirSync(path.join(tmp.dir, 'empty'));
    run = await station(['outbox', 'import', '--from', 'empty']);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^IMPORT_NOTHING_TO_IMPORT: /);
    run = await station(['outbox', 'import', '--from', 'no-such-stick']);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^IMPORT_FOLDER_MISSING: /);
  }, 30_000);
  it('export skips a corrupt packet, which the list then shows quarantined', async () => {
    const good = await enroll(5);
    const bad = await enroll(6);
    // Flip one byte of the sealed packet on disk: same size, wrong digest.
    const queue = path.join(deps.config.dataDir, 'outbox', 'queue');
    const name = readdirSync(queue).find((f) => f.startsWith(bad.packetId) && f.endsWith('.pkt'));
    if (name === undefined) throw new Error(`no queued file for ${bad.packetId}`);
    const bytes = readFileSync(path.join(queue, name));
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    writeFileSync(path.join(queue, name), bytes);

    let run = await station([
      'outbox',
      'export',
      '--to',
      'usb',
      '--packet',
      good.packetId,
      '--packet',
      bad.packetId,
    ]);
    expect(run.code, run.err).toBe(0);
    expect(run.out, run.err).toMatch(/^Exported 1 packet \([\d.]+ KB\) to \S+$/m);
    expect(run.out, run.err).toMatch(
      new RegExp(
        `^!! 1 packet NOT exported: corrupt, now quarantined \\(tell technical support\\): ${bad.packetId}$`,
        'm',
      ),
    );
    run = await station(['outbox', 'list']);
    expect(run.out, run.err).toMatch(
      /^!! 1 file QUARANTINED: corrupt, moved aside and never sent \(listed below\)\. Tell technical support\.$/m,
    );
    expect(run.out, run.err).toMatch(
      new RegExp(
        `^Quarantined files \\(corrupt, never sent\\):\n {2}\\S+ {2}wrong-digest {2}\\d{4}-\\S+ \\S+ {2}packet ${bad.packetId}$`,
        'm',
      ),
    );
    expect(run.out, run.err).toMatch(/ 1 quarantined$/m);
  }, 30_000);
});

describe('station central status', () => {
  it("prints central's production status and history of a packet", async () => {
    expect(await centralUp()).toBe(200);
    let run = await station(['central', 'status', acked.packetId]);
    expect(run.code, run.err).toBe(0);
    expect(run.out, run.err).toMatch(new RegExp(`^Packet: +${acked.packetId}$`, 'm'));
    expect(run.out, run.err).toMatch(/^Status: +(received|validated) \(central (holds|opened)/m);
    expect(run.out, run.err).toMatch(/^History:\n {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}received$/m);
    run = await station(['central', 'status', acked.packetId, '--json']);
    expect(JSON.parse(run.out)).toMatchObject({
      packetId: acked.packetId,
      history: [{ status: 'received' }],
    });
  });

  it('exits 1 with the code for a packet central does not hold', async () => {
    const run = await station(['central', 'status', uuid(999)]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.err, run.out).toMatch(/^CENTRAL_UNKNOWN_PACKET: /);
  });
});
