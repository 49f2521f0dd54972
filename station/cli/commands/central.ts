/**
 * `station central status PACKET`: where central's card production has got with a packet, asked
 * through the running station (GET /central/packets/:packetId/status), which holds the mutual-TLS
 * identity central knows it by. Exit 0 with the status; 1 when central holds no such packet from
 * this station (CENTRAL_UNKNOWN_PACKET), cannot be reached (CENTRAL_UNREACHABLE) or the station
 * cannot; 2 for a wrong command line.
 */
import { type Command, EXIT_OK, json, parse } from '../command.ts';
import { resolveStationUrl } from '../station-url.ts';
import { localTime, packetIdArgument, reported, stationCall, URL_HELP, URL_OPTION } from './outbox.ts';

interface CentralStatus {
  readonly packetId: string;
  readonly status: string;
  readonly history: readonly { readonly status: string; readonly at: string }[];
}

/** What each status of protocol/central/CONTRACT.md means to the officer. */
const MEANING: Readonly<Record<string, string>> = {
  received: 'central holds the packet safely',
  validated: 'central opened and checked the packet',
  'in-production': 'the card is being made',
  printed: 'the card is printed',
  dispatched: 'the card has been sent out',
  held: 'HELD: another packet of the same enrollment session was received first; this one is not produced (tell technical support)',
  refused: 'REFUSED by central for good: see the dead-letter reason in station outbox show',
};

function statusText(answer: CentralStatus): string {
  const meaning = MEANING[answer.status];
  const lines = [
    `Packet:  ${answer.packetId}`,
    `Status:  ${answer.status}${meaning === undefined ? '' : ` (${meaning})`}`,
    'History:',
    ...answer.history.map((step) => `  ${localTime(Date.parse(step.at))}  ${step.status}`),
  ];
  return `${lines.join('\n')}\n`;
}

const statusCommand: Command = {
  name: 'status',
  summary: "A packet's production status at central (received ... dispatched)",
  help: `Usage: station central status PACKET [--json] [--url URL]

Asks central, through the running station and its mutual-TLS identity, how far the card of PACKET
has got: received, validated, in-production, printed, dispatched; or held (a second packet of the
same enrollment session) or refused. Prints the status and its history (local times).
  --json        central's answer as JSON: { packetId, status, history: [{ status, at }] }
${URL_HELP}

Exit 1 with CENTRAL_UNKNOWN_PACKET when central holds no such packet from this station (not uploaded
yet, or exported and not yet ingested), CENTRAL_UNREACHABLE when the station cannot reach central.`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { ...URL_OPTION, json: { type: 'boolean' } },
      { min: 1, max: 1 },
    );
    const packetId = packetIdArgument(positionals[0]);
    const station = resolveStationUrl(values.url, io.env, io.cwd);
    return reported(io, async () => {
      const answer = await stationCall<CentralStatus>(
        station,
        'GET',
        `/central/packets/${encodeURIComponent(packetId)}/status`,
      );
      io.stdout(values.json ? json(answer) : statusText(answer));
      return EXIT_OK;
    });
  },
};

export const centralCommand: Command = {
  name: 'central',
  summary: 'The card-production service as the station sees it: packet status',
  help: `Usage: station central status PACKET ...

Asks central through a running station (npm start), which holds the station's mutual-TLS identity.`,
  subcommands: [statusCommand],
};
