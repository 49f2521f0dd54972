/**
 * `station`: the command-line tool for technicians, testers and integrators. Every capability the
 * station has is reachable here without the UI; later issues add their command groups to `commands`.
 */
import { STATION_VERSION } from '../version.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './command.ts';
import { auditCommand } from './commands/audit.ts';
import { cameraCommand } from './commands/camera.ts';
import { cardCommand } from './commands/card.ts';
import { centralCommand } from './commands/central.ts';
import { configCommand } from './commands/config.ts';
import { faceCommand } from './commands/face.ts';
import { keysCommand } from './commands/keys.ts';
import { matchCommand } from './commands/match.ts';
import { nistCommand } from './commands/nist.ts';
import { outboxCommand } from './commands/outbox.ts';
import { packetCommand } from './commands/packet.ts';
import { qrCommand } from './commands/qr.ts';
import { qualityCommand } from './commands/quality.ts';
import { reportCommand } from './commands/report.ts';
import { scannerCommand } from './commands/scanner.ts';
import { segmentCommand } from './commands/segment.ts';
import { healthCommand, simCommand, startCommand } from './commands/service.ts';
import { templateCommand } from './commands/template.ts';
import { usersCommand } from './commands/users.ts';
import { wsqCommand } from './commands/wsq.ts';

export const commands: readonly Command[] = [
  startCommand,
  healthCommand,
  configCommand,
  scannerCommand,
  cardCommand,
  cameraCommand,
  faceCommand,
  qualityCommand,
  matchCommand,
  qrCommand,
  segmentCommand,
  templateCommand,
  wsqCommand,
  nistCommand,
  keysCommand,
  packetCommand,
  outboxCommand,
  centralCommand,
  auditCommand,
  usersCommand,
  reportCommand,
  simCommand,
];

function listing(title: string, list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return `${title}\n${list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}\n`;
}

const rootHelp = `Usage: station <command> [options]
       station --version

${listing('Commands:', commands)}
Run 'station <command> --help' for a command's options. Results are JSON on stdout (text for a
person from 'outbox' and 'central'; --json gives their JSON); messages go to stderr; exit code 0 on
success, 1 when the operation failed, 2 for a wrong command line.
`;

function groupHelp(path: string, command: Command): string {
  return `${command.help}\n\n${listing('Commands:', command.subcommands ?? [])}\nRun 'station ${path} <command> --help' for details.\n`;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? io.stderr : io.stdout)(rootHelp);
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout(`${STATION_VERSION}\n`);
    return EXIT_OK;
  }

  let list = commands;
  let command: Command | undefined;
  let index = 0;
  const path: string[] = [];
  while (index < argv.length) {
    const word = argv[index] ?? '';
    const next = list.find((c) => c.name === word);
    if (!next) {
      const where = path.length === 0 ? '' : ` ${path.join(' ')}`;
      io.stderr(
        `station${where}: unknown command '${word}'\n\n${command ? groupHelp(path.join(' '), command) : rootHelp}`,
      );
      return EXIT_USAGE;
    }
    command = next;
    path.push(word);
    index++;
    if (!command.subcommands) break;
    list = command.subcommands;
    const following = argv[index];
    if (following === undefined || following === '--help' || following === '-h') {
      (following === undefined ? io.stderr : io.stdout)(groupHelp(path.join(' '), command));
      return following === undefined ? EXIT_USAGE : EXIT_OK;
    }
  }
  if (!command?.run) return EXIT_USAGE;

  const rest = argv.slice(index);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.help}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`station ${path.join(' ')}: ${error.message}\n\n${command.help}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`station ${path.join(' ')}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}
