/**
 * `station audit verify|tail`: the station's hash-chained audit trail (station/audit/README.md).
 * Both only read. The log is `<dataDir>/audit/audit.log` of the configuration in effect
 * (STATION_CONFIG, station.config.json, or the defaults); `--log FILE` names another, and the
 * anchor and key store are then looked for beside it (`anchor.json` next to the log, `../keys`).
 */
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { readAnchorFile, type StoredAnchor } from '../../audit/anchor.ts';
import { AuditError } from '../../audit/errors.ts';
import { loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../errors.ts';
import { KeyError } from '../../keys/errors.ts';
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

/** The log file: `--log`, or the configured data folder's. @throws {ConfigError} */
function logFileOf(io: CliIo, log: string | undefined): string {
  if (log !== undefined) return path.resolve(io.cwd, log);
  const { config } = loadConfig(io.env, io.cwd);
  return path.join(config.dataDir, 'audit', 'audit.log');
}

async function failures(io: CliIo, task: () => Promise<number>): Promise<number> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof AuditError || error instanceof KeyError) {
      io.stderr(`${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

const verify: Command = {
  name: 'verify',
  summary: 'Check the audit log: its hash chain, checkpoints, and the anchor central acknowledged',
  help: `Usage: station audit verify [--log FILE] [--anchor FILE] [--cert FILE ...]

Walks the audit log line by line and checks every entry's hash and its link to the one before,
every checkpoint (and its signature, against the station certificates), and that the log still
holds the latest anchor central echoed in a receipt (same seq, same hash), so truncation,
rollback and restore from an older backup show.

  --log FILE     the log (default: <dataDir>/audit/audit.log of the configuration in effect)
  --anchor FILE  the anchor (default: anchor.json beside the log; none there: not checked)
  --cert FILE    station certificate(s) for checkpoint signatures (default: the key store beside
                 the log, ../keys: station.crt and history/)

Prints a JSON summary on stdout. Exit 0 when intact; 1 with the first break (line and kind:
bad-json, malformed, edited, deleted, reordered, bad-checkpoint) or an anchor mismatch ("the chain
is shorter than what central acknowledged", "differs at seq N") or a log ending before the station's own
verified mark (verified.json beside the log); 2 for a wrong command line. A torn
last line (power cut mid-write) is reported but is not a break: the station moves it aside at its
next start.`,
  async run(args, io) {
    const { values } = parse(
      args,
      { log: { type: 'string' }, anchor: { type: 'string' }, cert: { type: 'string', multiple: true } },
      { min: 0, max: 0 },
    );
    return failures(io, async () => {
      const log = logFileOf(io, values.log);
      const anchorPath = path.resolve(io.cwd, values.anchor ?? path.join(path.dirname(log), 'anchor.json'));
      if (values.anchor !== undefined && !existsSync(anchorPath))
        throw new UsageError(`--anchor ${values.anchor}: no such file`);
      if (!existsSync(log)) {
        io.stderr(`No audit log at ${log}. Name one with --log FILE.\n`);
        return EXIT_FAILED;
      }
      // Loaded here, not at the CLI's start: X.509 parsing is only needed by this command.
      const { storeCertificates, verifyAuditLogFile } = await import('../../audit/verify.ts');
      const { readCertificateFile } = await import('../../keys/certificate.ts');
      const anchor: StoredAnchor | undefined = await readAnchorFile(anchorPath);
      const certificates: Uint8Array[] = [];
      if (values.cert !== undefined)
        for (const file of values.cert)
          certificates.push(...(await readCertificateFile(path.resolve(io.cwd, file))));
      else certificates.push(...(await storeCertificates(path.join(path.dirname(log), '..', 'keys'))));

      const { chain, signaturesChecked, signaturesUnchecked } = await verifyAuditLogFile(log, {
        anchor,
        certificates,
      });
      // The station's own mark of what it verified or wrote (verified.json beside the log): a log
      // that ends before it was cut or copied back, whatever central has seen.
      const { readMarkFile } = await import('../../audit/trail.ts');
      const mark = await readMarkFile(path.join(path.dirname(log), 'verified.json'));
      const behindMark = chain.ok && mark !== undefined && chain.head.seq < mark.seq;
      const summary = {
        log,
        intact: chain.ok,
        entries: chain.head.seq,
        head: chain.head,
        anchor:
          anchor === undefined
            ? null
            : { file: anchorPath, seq: anchor.seq, head: anchor.head, held: chain.ok && chain.anchorHeld },
        checkpoints: { ...chain.checkpoints, signaturesChecked, signaturesUnchecked },
        ...(chain.tornTail === undefined ? {} : { tornTail: chain.tornTail }),
        ...(chain.ok ? {} : { break: chain.break }),
        ...(mark === undefined ? {} : { verifiedMark: { seq: mark.seq, held: !behindMark } }),
      };
      io.stdout(json(behindMark ? { ...summary, intact: false } : summary));
      if (behindMark) {
        io.stderr(
          `Audit log ${log} ends at seq ${chain.head.seq}, before seq ${mark?.seq} the station itself verified or wrote (verified.json): it was truncated or copied back from an older backup.\n`,
        );
        return EXIT_FAILED;
      }
      if (!chain.ok) {
        const b = chain.break;
        io.stderr(
          b.kind === 'truncated' || b.kind === 'anchor-mismatch'
            ? `Audit log ${log} does not match central's anchor: ${b.detail} (seq ${b.seq}).\n`
            : `Audit log ${log} is broken at line ${b.line} (${b.kind}): ${b.detail}.\n`,
        );
        return EXIT_FAILED;
      }
      io.stderr(
        `Audit log intact: ${chain.head.seq} entries${anchor === undefined ? ', no anchor to check' : `, holds central's anchor (seq ${anchor.seq})`}` +
          `, ${chain.checkpoints.signed} signed checkpoint(s) (${signaturesChecked} signature(s) checked), ${chain.checkpoints.unsigned} unsigned.\n`,
      );
      if (chain.tornTail !== undefined)
        io.stderr(
          `Its last line (${chain.tornTail.length} bytes, line ${chain.tornTail.line}) is torn: an append cut by a power failure, not tampering; the station moves it aside when it starts.\n`,
        );
      return EXIT_OK;
    });
  },
};

const tail: Command = {
  name: 'tail',
  summary: 'Print the last entries of the audit log',
  help: `Usage: station audit tail [--log FILE] [-n N]

Prints the last N entries (default 20) of the audit log as they are stored, one JSON object per line.
Subjects are keyed pseudonyms, never citizen ids. Does not verify: use 'station audit verify'.

  --log FILE  the log (default: <dataDir>/audit/audit.log of the configuration in effect)
  -n N        how many entries`,
  async run(args, io) {
    const { values } = parse(
      args,
      { log: { type: 'string' }, n: { type: 'string', short: 'n' } },
      { min: 0, max: 0 },
    );
    const count = positiveInteger('n', values.n) ?? 20;
    return failures(io, async () => {
      const log = logFileOf(io, values.log);
      if (!existsSync(log)) {
        io.stderr(`No audit log at ${log}. Name one with --log FILE.\n`);
        return EXIT_FAILED;
      }
      // A ring of the last `count` lines; the file is streamed, never read whole.
      const ring: string[] = [];
      let partial = '';
      for await (const chunk of createReadStream(log, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          ring.push(line);
          if (ring.length > count) ring.shift();
        }
      }
      io.stdout(ring.map((line) => `${line}\n`).join(''));
      if (partial !== '')
        io.stderr(`(the last line is torn: ${partial.length} characters without a newline)\n`);
      return EXIT_OK;
    });
  },
};

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Verify and read the hash-chained audit trail',
  help: `Usage: station audit <verify|tail> ...

The audit trail is <dataDir>/audit/audit.log: one hash-chained entry per action, subjects as keyed
pseudonyms, anchored by what central echoes in its receipts (station/audit/README.md).`,
  subcommands: [verify, tail],
};
