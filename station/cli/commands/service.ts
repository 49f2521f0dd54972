import { ConfigError } from '../../errors.ts';
import { runStation } from '../../run.ts';
import { type Command, EXIT_FAILED, EXIT_OK, parse, UsageError } from '../command.ts';
import { simCardCommand } from './card.ts';
import { renderFingerCommand, renderSlapCommand } from './render.ts';

const DEFAULT_URL = 'http://127.0.0.1:8080';
const urlOption = { url: { type: 'string', default: DEFAULT_URL } } as const;

/** GET/PUT/POST against a running station; prints the JSON answer; non-2xx is a failure. */
async function call(
  io: Parameters<NonNullable<Command['run']>>[1],
  method: string,
  url: string,
  body?: unknown,
) {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    io.stderr(
      `cannot reach the station at ${url}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}\nIs it running (npm start)? Use --url to point elsewhere.\n`,
    );
    return EXIT_FAILED;
  }
  const text = await response.text();
  if (!response.ok) {
    io.stderr(`${method} ${url} answered HTTP ${response.status}: ${text}\n`);
    return EXIT_FAILED;
  }
  io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  return EXIT_OK;
}

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the station service (same as npm start)',
  help: `Usage: station start [--config <file>]

Runs the station until SIGINT or SIGTERM. --config overrides STATION_CONFIG.`,
  async run(args, io) {
    const { values } = parse(args, { config: { type: 'string' } }, { min: 0, max: 0 });
    const env = values.config === undefined ? io.env : { ...io.env, STATION_CONFIG: values.config };
    try {
      await runStation({ env, cwd: io.cwd });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.stderr(`${error.message}\n`);
      return EXIT_FAILED;
    }
    // Keep running: the signal handlers installed by runStation end the process.
    await new Promise<never>(() => {});
    return EXIT_OK;
  },
};

export const healthCommand: Command = {
  name: 'health',
  summary: 'Print the health of a running station as JSON',
  help: `Usage: station health [--url ${DEFAULT_URL}]`,
  async run(args, io) {
    const { values } = parse(args, urlOption, { min: 0, max: 0 });
    return call(io, 'GET', `${values.url}/health`);
  },
};

const simList: Command = {
  name: 'list',
  summary: 'List the simulators of a running station, their scenarios and actions',
  help: `Usage: station sim list [--url ${DEFAULT_URL}]`,
  async run(args, io) {
    const { values } = parse(args, urlOption, { min: 0, max: 0 });
    return call(io, 'GET', `${values.url}/sim/`);
  },
};

const simShow: Command = {
  name: 'show',
  summary: "Show one simulator's scenario and state",
  help: `Usage: station sim show <simulator> [--url ${DEFAULT_URL}]`,
  async run(args, io) {
    const { values, positionals } = parse(args, urlOption, { min: 1, max: 1 });
    return call(io, 'GET', `${values.url}/sim/${encodeURIComponent(positionals[0] ?? '')}`);
  },
};

const simScenario: Command = {
  name: 'scenario',
  summary: "Switch a simulator's scenario",
  help: `Usage: station sim scenario <simulator> <scenario> [--url ${DEFAULT_URL}]`,
  async run(args, io) {
    const { values, positionals } = parse(args, urlOption, { min: 2, max: 2 });
    const [name = '', scenario] = positionals;
    return call(io, 'PUT', `${values.url}/sim/${encodeURIComponent(name)}/scenario`, { scenario });
  },
};

const simDo: Command = {
  name: 'do',
  summary: 'Run a simulator action (insert a card, place a finger, plug a device)',
  help: `Usage: station sim do <simulator> <action> [--data '<json>'] [--url ${DEFAULT_URL}]

--data is the action's input as JSON (see 'station sim list' for each action's schema).`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { ...urlOption, data: { type: 'string', default: '{}' } },
      { min: 2, max: 2 },
    );
    const [name = '', action = ''] = positionals;
    let body: unknown;
    try {
      body = JSON.parse(values.data);
    } catch (error) {
      throw new UsageError(
        `--data is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return call(
      io,
      'POST',
      `${values.url}/sim/${encodeURIComponent(name)}/actions/${encodeURIComponent(action)}`,
      body,
    );
  },
};

export const simCommand: Command = {
  name: 'sim',
  summary: 'Drive the simulators of a running test station (scenarios and actions)',
  help: `Usage: station sim <list|show|scenario|do|render-finger|render-slap|card> ...

list, show, scenario and do talk to the /sim/ routes of a running station in the test environment;
render-finger and render-slap make synthetic prints offline; card puts a simulated CCCD into
pcscd's virtual reader (vsmartcard-vpcd) for any PC/SC client.`,
  subcommands: [simList, simShow, simScenario, simDo, renderFingerCommand, renderSlapCommand, simCardCommand],
};
