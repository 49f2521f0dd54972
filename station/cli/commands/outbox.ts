/**
 * `station outbox list|show|retry|export|import`: the store-and-forward outbox of a running station
 * (issue 18), through its /outbox routes (station/plugins/outbox.ts), for an officer at a point with
 * no network and for the support technician on the phone with them.
 *
 * Output is text for a person by default and the station's JSON with --json. Exit codes: 0 done;
 * 1 the station refused or failed (stderr starts with the error's code, then what to do), or could
 * not be reached; 2 a wrong command line. Dead-lettered packets and quarantined files are always
 * named, whatever --state or --limit filter the list.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Statement } from '../../../protocol/central/statement.ts';
import type {
  AcceptDecision,
  OutboxEntry,
  OutboxState,
  OutboxStats,
  QuarantinedEntry,
} from '../../outbox/outbox.ts';
import type { ExportResult, ImportReport } from '../../outbox/removable.ts';
import type { UploaderState } from '../../uploader/uploader.ts';
import {
  type CliIo,
  type Command,
  EXIT_FAILED,
  EXIT_OK,
  json,
  parse,
  positiveInteger,
  UsageError,
} from '../command.ts';
import { resolveStationUrl, type StationUrl, unreachable } from '../station-url.ts';

// ---------------------------------------------------------------------------------------------
// Talking to the station

/** A failure to report with exit 1: `code` (the station's, or the CLI's) then the message. */
export class StationCallError extends Error {
  override readonly name = 'StationCallError';
  /** The station's error code, or undefined when no station answered. */
  readonly code: string | undefined;
  /** HTTP status of the station's answer, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, code?: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** How long a call waits by default, ms. Export and import copy to slow media: they wait longer. */
const CALL_TIMEOUT_MS = 30_000;
const MEDIA_TIMEOUT_MS = 15 * 60_000;

/** A message from the station or central: a string, or `{ vi, en }` (Vietnamese first). */
function words(message: unknown): string {
  if (typeof message === 'string') return message;
  if (typeof message === 'object' && message !== null) {
    const { vi, en } = message as { vi?: unknown; en?: unknown };
    if (typeof vi === 'string' && typeof en === 'string') return `${vi} / ${en}`;
  }
  return JSON.stringify(message);
}

/**
 * A JSON request to the running station.
 * @throws {StationCallError} when no station answers (the message says where it looked and what to
 *   do), or with the station's `{ error: { code, message } }` for a non-2xx answer.
 */
export async function stationCall<T>(
  station: StationUrl,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<T> {
  const url = `${station.base}${route}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    throw new StationCallError(unreachable(station, error));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StationCallError(
      `${method} ${url} answered HTTP ${response.status} without JSON: ${text.slice(0, 200)}`,
      undefined,
      response.status,
    );
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
    throw new StationCallError(
      error?.message === undefined ? text.slice(0, 500) : words(error.message),
      code,
      response.status,
    );
  }
  return parsed as T;
}

/** Runs a command body; a StationCallError becomes exit 1 with `CODE: message` on stderr. */
export async function reported(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof StationCallError)) throw error;
    io.stderr(`${error.code === undefined ? '' : `${error.code}: `}${error.message}\n`);
    return EXIT_FAILED;
  }
}

const PACKET_ID = /^[A-Za-z0-9-]{1,64}$/;

/** @throws {UsageError} when `id` cannot be a packet id. */
export function packetIdArgument(id: string | undefined): string {
  if (id === undefined) throw new UsageError('missing argument: PACKET (a packet id)');
  if (!PACKET_ID.test(id))
    throw new UsageError(`'${id}' is not a packet id (letters, digits and '-', at most 64 characters)`);
  return id;
}

export const URL_OPTION = { url: { type: 'string' } } as const;
export const URL_HELP = `  --url URL     the running station (default: $STATION_URL, else where the configuration file
                as npm start finds it makes the station listen, else http://127.0.0.1:8080)`;

// ---------------------------------------------------------------------------------------------
// Formatting for a person

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Wall-clock ms as local `YYYY-MM-DD HH:MM:SS`; '-' for null or undefined. */
export function localTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Bytes in decimal units, as the station's disk messages count them (1 MB = 1,000,000 bytes). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface OutboxAnswer {
  readonly stats: OutboxStats;
  readonly uploader: UploaderState;
  readonly quarantined: readonly QuarantinedEntry[];
  readonly total: number;
  readonly packets: readonly OutboxEntry[];
}

function uploaderLine(uploader: UploaderState): string {
  const last = `last success ${uploader.lastSuccessAt === null ? 'none yet' : localTime(uploader.lastSuccessAt)}`;
  if (!uploader.running) return `STOPPED; ${last}`;
  if (uploader.online)
    return `online${uploader.uploading.length > 0 ? `, sending ${uploader.uploading.length}` : ''}; ${last}`;
  const since =
    uploader.offlineSince === null
      ? 'central not reached yet'
      : `since ${localTime(uploader.offlineSince)}, central unreachable`;
  return `OFFLINE (${since}); ${last}`;
}

/** The header of `outbox list`: the offline figures the officer's screen shows. */
export function outboxHeader(answer: OutboxAnswer, accept: AcceptDecision): string {
  const { stats, uploader } = answer;
  const waiting = stats.queued + stats.uploading;
  const days = Math.floor(stats.daysOffline);
  const lines = [
    `Waiting:         ${plural(waiting, 'packet')}, ${bytes(stats.waitingBytes)}${
      stats.offlineSince === null
        ? ''
        : `; waiting since ${localTime(stats.offlineSince)} (${plural(days, 'day')} offline, limit ${stats.limits.maxDaysOffline})`
    }`,
    `Uploader:        ${uploaderLine(uploader)}`,
    `Disk free:       ${bytes(stats.diskFreeBytes)} (${bytes(stats.limits.reserveBytes)} kept in reserve)`,
    `New enrollments: ${accept.ok ? 'accepted' : `REFUSED: ${accept.code}: ${accept.message}`}`,
    `Totals:          ${stats.queued} queued, ${stats.uploading} uploading, ${stats.acknowledged} acknowledged, ${stats.deadLetter} dead-letter, ${stats.quarantined} quarantined`,
  ];
  if (stats.deadLetter > 0)
    lines.push(
      `!! ${plural(stats.deadLetter, 'packet')} DEAD-LETTERED (refused for good by central; reason below): fix the cause, then 'station outbox retry PACKET'`,
    );
  if (answer.quarantined.length > 0)
    lines.push(
      `!! ${plural(answer.quarantined.length, 'file')} QUARANTINED: corrupt, moved aside and never sent (listed below). Tell technical support.`,
    );
  return `${lines.join('\n')}\n`;
}

/** The last column of a packet line: when acknowledged, why dead-lettered, or whether exported. */
function packetNote(entry: OutboxEntry): string {
  const notes: string[] = [];
  if (entry.state === 'acknowledged') notes.push(`acknowledged ${localTime(entry.acknowledgedAt)}`);
  if (entry.state === 'dead-letter')
    notes.push(
      entry.deadLetter === undefined ? 'refused' : `${entry.deadLetter.code}: ${entry.deadLetter.message}`,
    );
  if (entry.exportedAt !== undefined) notes.push(`exported ${localTime(entry.exportedAt)}`);
  if (entry.retried !== undefined && entry.retried > 0) notes.push(`retried ${entry.retried}x`);
  return notes.join('; ');
}

const STATE_LABEL: Readonly<Record<OutboxState, string>> = {
  queued: 'queued',
  uploading: 'uploading',
  acknowledged: 'acknowledged',
  'dead-letter': 'DEAD-LETTER',
};

/** One line per packet, in a table. */
export function packetTable(packets: readonly OutboxEntry[]): string {
  const rows = [
    ['PACKET', 'STATE', 'SIZE', 'ENQUEUED', 'NOTE'],
    ...packets.map((p) => [
      p.packetId,
      STATE_LABEL[p.state],
      bytes(p.size),
      localTime(p.enqueuedAt),
      packetNote(p),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

function quarantineTable(entries: readonly QuarantinedEntry[]): string {
  return entries
    .map(
      (q) =>
        `  ${q.name}  ${q.reason}  ${localTime(q.at)}${q.packetId === undefined ? '' : `  packet ${q.packetId}`}`,
    )
    .join('\n')
    .concat('\n');
}

// ---------------------------------------------------------------------------------------------
// The commands

const STATES: readonly OutboxState[] = ['queued', 'uploading', 'acknowledged', 'dead-letter'];

const listCommand: Command = {
  name: 'list',
  summary: 'Offline figures and the packets in the outbox, newest first',
  help: `Usage: station outbox list [--state STATE] [--limit N] [--json] [--url URL]

  --state STATE  only packets in this state: ${STATES.join(', ')}
  --limit N      at most N packets, newest first (1-10000, default 200)
  --json         the station's answer as JSON (stats, uploader, quarantined, total, packets) with
                 accept (may a new enrollment start)
${URL_HELP}

Prints the offline figures first (packets and bytes waiting, since when and how many days offline,
disk free, the uploader online or offline and its last success, whether new enrollments are
accepted), then one line per packet: id, state, size, enqueued time, and the acknowledged time, the
dead-letter code and reason, or when it was exported to removable media. Dead-lettered packets and
quarantined (corrupt) files are always announced, whatever --state and --limit show.`,
  async run(args, io) {
    const { values } = parse(
      args,
      { ...URL_OPTION, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
      { min: 0, max: 0 },
    );
    const state = values.state;
    if (state !== undefined && !(STATES as readonly string[]).includes(state))
      throw new UsageError(`--state must be one of: ${STATES.join(', ')}; got '${state}'`);
    const limit = positiveInteger('limit', values.limit);
    if (limit !== undefined && limit > 10_000)
      throw new UsageError(`--limit must be at most 10000, got ${limit}`);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return reported(io, async () => {
      const query = new URLSearchParams();
      if (state !== undefined) query.set('state', state);
      if (limit !== undefined) query.set('limit', String(limit));
      const search = query.size === 0 ? '' : `?${query}`;
      const [answer, accept] = await Promise.all([
        stationCall<OutboxAnswer>(station, 'GET', `/outbox${search}`),
        stationCall<AcceptDecision>(station, 'GET', '/outbox/accept'),
      ]);
      if (values.json) {
        io.stdout(json({ ...answer, accept }));
        return EXIT_OK;
      }
      let text = outboxHeader(answer, accept);
      // Named even when the filter or the limit leaves them out of the table.
      const shown = new Set(answer.packets.map((p) => p.packetId));
      const hiddenDead =
        answer.stats.deadLetter > 0 && state !== 'dead-letter'
          ? (
              await stationCall<OutboxAnswer>(station, 'GET', '/outbox?state=dead-letter&limit=10000')
            ).packets.filter((p) => !shown.has(p.packetId))
          : [];
      const which = state === undefined ? '' : ` ${state}`;
      text += `\n${answer.total === 0 ? `No${which} packets.\n` : packetTable(answer.packets)}`;
      if (answer.packets.length < answer.total)
        text += `(${answer.packets.length} of ${answer.total}${which} packets shown; --limit N shows more)\n`;
      if (hiddenDead.length > 0)
        text += `\nDead-lettered, not in the list above:\n${packetTable(hiddenDead)}`;
      if (answer.quarantined.length > 0)
        text += `\nQuarantined files (corrupt, never sent):\n${quarantineTable(answer.quarantined)}`;
      io.stdout(text);
      return EXIT_OK;
    });
  },
};

interface ShowAnswer {
  readonly entry: OutboxEntry;
  readonly uploadUrl?: string;
  readonly receipt?: { readonly statement: Statement | undefined; readonly jws: string };
}

function showText(answer: ShowAnswer): string {
  const { entry } = answer;
  const lines: [string, string][] = [
    ['Packet', entry.packetId],
    ['State', STATE_LABEL[entry.state]],
    ['Size', `${bytes(entry.size)} (${entry.size} bytes)`],
    ['SHA-256', entry.digest],
    ['Enqueued', localTime(entry.enqueuedAt)],
  ];
  if (entry.exportedAt !== undefined)
    lines.push(['Exported', `${localTime(entry.exportedAt)} to removable media; waiting for its receipt`]);
  if (entry.retried !== undefined && entry.retried > 0) lines.push(['Retried', `${entry.retried}x`]);
  if (answer.uploadUrl !== undefined) lines.push(['Upload URL', `${answer.uploadUrl} (resumed there)`]);
  if (entry.acknowledgedAt !== undefined) lines.push(['Acknowledged', localTime(entry.acknowledgedAt)]);
  if (entry.deadLetter !== undefined) {
    lines.push(['Dead letter', `${entry.deadLetter.code}: ${entry.deadLetter.message}`]);
    lines.push(['What to do', `fix the cause, then 'station outbox retry ${entry.packetId}'`]);
  }
  const statement = answer.receipt?.statement;
  if (statement?.kind === 'receipt') {
    lines.push(['Receipt', `central received it ${localTime(Date.parse(statement.receivedAt))}`]);
    lines.push([
      '  bound to',
      `packet ${statement.packetId}, SHA-256 ${statement.sha256}, ${statement.size} bytes`,
    ]);
    lines.push(['  station', `${statement.stationId} (${statement.environment})`]);
    lines.push(['  signed by', `central key ${statement.centralKeyId}`]);
  } else if (answer.receipt !== undefined) lines.push(['Receipt', 'stored, but not readable as a receipt']);
  const width = Math.max(...lines.map(([label]) => label.length)) + 1;
  return `${lines.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}${value}`).join('\n')}\n`;
}

const showCommand: Command = {
  name: 'show',
  summary: "One packet: state, digest, times, dead-letter reason, central's receipt",
  help: `Usage: station outbox show PACKET [--json] [--out-receipt FILE] [--url URL]

  --json              the station's answer as JSON: entry, uploadUrl (while waiting), receipt
                      ({ statement, jws }, once acknowledged)
  --out-receipt FILE  write central's signed receipt (the compact JWS, as received) to FILE; exit 1
                      with OUTBOX_NO_RECEIPT when the packet is not acknowledged
${URL_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { ...URL_OPTION, json: { type: 'boolean' }, 'out-receipt': { type: 'string' } },
      { min: 1, max: 1 },
    );
    const packetId = packetIdArgument(positionals[0]);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    const out = values['out-receipt'] === undefined ? undefined : path.resolve(io.cwd, values['out-receipt']);
    return reported(io, async () => {
      const answer = await stationCall<ShowAnswer>(station, 'GET', `/outbox/${encodeURIComponent(packetId)}`);
      io.stdout(values.json ? json(answer) : showText(answer));
      if (out === undefined) return EXIT_OK;
      if (answer.receipt === undefined)
        throw new StationCallError(
          `packet ${packetId} is ${answer.entry.state}: it has no receipt to write (only acknowledged packets do)`,
          'OUTBOX_NO_RECEIPT',
        );
      try {
        await writeFile(out, answer.receipt.jws);
      } catch (error) {
        throw new StationCallError(
          `cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          'CLI_WRITE_FAILED',
        );
      }
      io.stderr(`receipt written to ${out}\n`);
      return EXIT_OK;
    });
  },
};

const retryCommand: Command = {
  name: 'retry',
  summary: 'Send a dead-lettered packet again, or a waiting one now',
  help: `Usage: station outbox retry PACKET [--json] [--url URL]

A dead-lettered packet goes back to the queue (do this once the cause central gave is fixed); a
waiting one is sent now instead of at its next backoff. Exit 1 with OUTBOX_UNKNOWN_PACKET for a
packet the outbox does not hold, OUTBOX_WRONG_STATE for one already acknowledged.
  --json        the station's answer ({ entry }) as JSON
${URL_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { ...URL_OPTION, json: { type: 'boolean' } },
      { min: 1, max: 1 },
    );
    const packetId = packetIdArgument(positionals[0]);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return reported(io, async () => {
      const answer = await stationCall<{ entry: OutboxEntry }>(
        station,
        'POST',
        `/outbox/${encodeURIComponent(packetId)}/retry`,
      );
      io.stdout(
        values.json
          ? json(answer)
          : `Packet ${answer.entry.packetId} is ${answer.entry.state}; the uploader sends it now.\n`,
      );
      return EXIT_OK;
    });
  },
};

const exportCommand: Command = {
  name: 'export',
  summary: 'Copy waiting packets to removable media (a USB stick) for central',
  help: `Usage: station outbox export --to FOLDER [--packet ID ...] [--json] [--url URL]

  --to FOLDER   where the media is mounted; a relative path is taken from the current directory.
                The station writes there, so FOLDER is a path on the station's machine.
  --packet ID   export only this waiting packet (repeat for more); default every waiting packet
  --json        the station's answer as JSON: folder, manifest, skipped
${URL_HELP}

Makes FOLDER/cccd-outbox-export-<station>-<time>/ with the packets (encrypted as they are),
SHA256SUMS and manifest.json (written last), and prints the folder and how many packets went.
Exported packets stay waiting until their receipts come back ('station outbox import') or they are
uploaded. Exit 1 with the code when the station refuses: EXPORT_NO_SPACE (not enough room on the
media), EXPORT_NOTHING_TO_EXPORT, EXPORT_PACKET_NOT_WAITING, EXPORT_FOLDER_MISSING,
EXPORT_FOLDER_NOT_WRITABLE, EXPORT_WRITE_FAILED (the export is incomplete: export again).`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        ...URL_OPTION,
        to: { type: 'string' },
        packet: { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
      { min: 0, max: 0 },
    );
    if (values.to === undefined) throw new UsageError('--to FOLDER is required');
    if (values.to.trim() === '') throw new UsageError('--to must name a folder');
    const packetIds = values.packet?.map((id) => packetIdArgument(id));
    const folder = path.resolve(io.cwd, values.to);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return reported(io, async () => {
      const result = await stationCall<ExportResult>(
        station,
        'POST',
        '/outbox/export',
        { folder, ...(packetIds === undefined ? {} : { packetIds }) },
        MEDIA_TIMEOUT_MS,
      );
      if (values.json) {
        io.stdout(json(result));
        return EXIT_OK;
      }
      const packets = result.manifest.packets;
      const size = packets.reduce((sum, p) => sum + p.size, 0);
      let text = `Exported ${plural(packets.length, 'packet')} (${bytes(size)}) to ${result.folder}\n`;
      if (result.skipped.length > 0)
        text += `!! ${plural(result.skipped.length, 'packet')} NOT exported: corrupt, now quarantined (tell technical support): ${result.skipped
          .map((s) => s.packetId)
          .join(', ')}\n`;
      text += `They stay waiting until their receipts are imported ('station outbox import --from FOLDER') or uploaded.\n`;
      io.stdout(text);
      return EXIT_OK;
    });
  },
};

interface ImportAnswer {
  readonly acknowledged: number;
  readonly deadLettered: number;
  readonly alreadyAcknowledged: number;
  readonly refused: number;
  readonly reports: readonly ImportReport[];
}

const OUTCOME_LABEL: Readonly<Record<ImportReport['outcome'], string>> = {
  acknowledged: 'acknowledged',
  'already-acknowledged': 'already acknowledged',
  'dead-lettered': 'DEAD-LETTERED',
  refused: 'REFUSED',
};

function importText(answer: ImportAnswer, folder: string): string {
  const width = Math.max(...answer.reports.map((r) => r.file.length));
  const lines = answer.reports.map((r) => {
    const label = OUTCOME_LABEL[r.outcome].padEnd(20);
    const why =
      r.outcome === 'refused'
        ? `${r.code ?? 'IMPORT_REFUSED'}: ${r.detail ?? 'refused'}`
        : r.outcome === 'dead-lettered'
          ? `central refused the packet for good: ${r.code ?? ''}`
          : '';
    return `${r.file.padEnd(width)}  ${label}  ${why}`.trimEnd();
  });
  const summary = `${plural(answer.reports.length, 'file')} read from ${folder}: ${answer.acknowledged} acknowledged, ${answer.alreadyAcknowledged} already acknowledged, ${answer.deadLettered} dead-lettered, ${answer.refused} refused`;
  return `${lines.join('\n')}\n${summary}\n`;
}

const importCommand: Command = {
  name: 'import',
  summary: "Read central's receipts back from removable media",
  help: `Usage: station outbox import --from FOLDER [--json] [--url URL]

  --from FOLDER  the export folder central has answered into (its receipts/ folder), or a folder of
                 <packetId>.jws files; a relative path is taken from the current directory
  --json         the station's answer as JSON: counts and one report per file
${URL_HELP}

Checks each receipt on its own (central's signature with the pinned key, the packet id, digest,
station and environment) and applies the good ones; a bad file never stops the others. Prints one
line per file: acknowledged, already acknowledged, dead-lettered (central refused the packet for
good), or refused with its code (IMPORT_STATEMENT_BAD_SIGNATURE, IMPORT_UNKNOWN_PACKET, ...).
Exit 0 only when no file was refused and at least one was read; 1 when any file was refused, when
there was no receipt to read (IMPORT_NOTHING_TO_IMPORT) or the folder is unusable.`,
  async run(args, io) {
    const { values } = parse(
      args,
      { ...URL_OPTION, from: { type: 'string' }, json: { type: 'boolean' } },
      { min: 0, max: 0 },
    );
    if (values.from === undefined) throw new UsageError('--from FOLDER is required');
    if (values.from.trim() === '') throw new UsageError('--from must name a folder');
    const folder = path.resolve(io.cwd, values.from);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return reported(io, async () => {
      const answer = await stationCall<ImportAnswer>(
        station,
        'POST',
        '/outbox/import',
        { folder },
        MEDIA_TIMEOUT_MS,
      );
      if (values.json) io.stdout(json(answer));
      if (answer.reports.length === 0)
        throw new StationCallError(
          `no receipt (.jws file) in ${folder}/receipts or ${folder}: is it the folder central answered into?`,
          'IMPORT_NOTHING_TO_IMPORT',
        );
      if (!values.json) io.stdout(importText(answer, folder));
      if (answer.refused === 0) return EXIT_OK;
      const codes = [
        ...new Set(
          answer.reports.filter((r) => r.outcome === 'refused').map((r) => r.code ?? 'IMPORT_REFUSED'),
        ),
      ];
      io.stderr(
        `${codes.join(', ')}: ${plural(answer.refused, 'file')} refused; nothing from ${answer.refused === 1 ? 'it' : 'them'} was applied\n`,
      );
      return EXIT_FAILED;
    });
  },
};

export const outboxCommand: Command = {
  name: 'outbox',
  summary: 'Store-and-forward: waiting packets, receipts, export to and import from USB',
  help: `Usage: station outbox <list|show|retry|export|import> ...

The outbox of a running station (npm start): every sealed packet waits there until central's signed
receipt is stored. Text for a person by default, JSON with --json. Exit 0 done, 1 the station refused
or could not be reached (stderr starts with the code), 2 a wrong command line.`,
  subcommands: [listCommand, showCommand, retryCommand, exportCommand, importCommand],
};
