import { StationError } from '../../errors.ts';
import { runStation } from '../../run.ts';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, parse, UsageError } from '../command.ts';
import { resolveStationUrl, unreachable } from '../station-url.ts';
import { simCameraCommand } from './camera.ts';
import { simCardCommand } from './card.ts';
import { renderFingerCommand, renderSlapCommand } from './render.ts';

const urlOption = { url: { type: 'string' } } as const;
const URL_HELP = `--url URL   the running station; default: $STATION_URL, else where the configuration file
            (as npm start finds it) makes the station listen, else http://127.0.0.1:8080`;

/** GET/PUT/POST against a running station; prints the JSON answer; non-2xx is a failure. */
async function call(io: CliIo, method: string, url: string | undefined, path: string, body?: unknown) {
  const station = resolveStationUrl(url, io.env, io.cwd);
  const target = `${station.base}${path}`;
  let response: Response;
  try {
    response = await fetch(target, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    io.stderr(`${unreachable(station, error)}\n`);
    return EXIT_FAILED;
  }
  const text = await response.text();
  if (!response.ok) {
    io.stderr(`${method} ${target} answered HTTP ${response.status}: ${text}\n`);
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
      if (!(error instanceof StationError)) throw error;
      io.stderr(`${error.message} [${error.code}]\n`);
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
  help: `Usage: station health [--url URL]\n\n${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(args, urlOption, { min: 0, max: 0 });
    return call(io, 'GET', values.url, '/health');
  },
};

const simList: Command = {
  name: 'list',
  summary: 'List the simulators of a running station, their scenarios and actions',
  help: `Usage: station sim list [--url URL]\n\n${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(args, urlOption, { min: 0, max: 0 });
    return call(io, 'GET', values.url, '/sim/');
  },
};

const simShow: Command = {
  name: 'show',
  summary: "Show one simulator's scenario and state",
  help: `Usage: station sim show <simulator> [--url URL]\n\n${URL_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, urlOption, { min: 1, max: 1 });
    return call(io, 'GET', values.url, `/sim/${encodeURIComponent(positionals[0] ?? '')}`);
  },
};

const simScenario: Command = {
  name: 'scenario',
  summary: "Switch a simulator's scenario",
  help: `Usage: station sim scenario <simulator> <scenario> [--now] [--url URL]

A scenario stays until it is changed. Most apply to the next exchange; the card's apply to the next
card put in (the answer's appliesFrom says which). --now applies it at once (for the card: takes the
card out and puts a fresh one of the scenario in).
${URL_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { ...urlOption, now: { type: 'boolean', default: false } },
      { min: 2, max: 2 },
    );
    const [name = '', scenario] = positionals;
    return call(io, 'PUT', values.url, `/sim/${encodeURIComponent(name)}/scenario`, {
      scenario,
      ...(values.now ? { applyNow: true } : {}),
    });
  },
};

const simDo: Command = {
  name: 'do',
  summary: 'Run a simulator action (insert a card, place a finger, plug a device)',
  help: `Usage: station sim do <simulator> <action> [--data '<json>'] [--url URL]

--data is the action's input as JSON (see 'station sim list' for each action's schema).
${URL_HELP}`,
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
      values.url,
      `/sim/${encodeURIComponent(name)}/actions/${encodeURIComponent(action)}`,
      body,
    );
  },
};

const simBarcode: Command = {
  name: 'barcode',
  summary: "Make a running station's simulated 2D barcode scanner read a code",
  help: `Usage: station sim barcode --text TEXT [--url URL]
       station sim barcode --card [--url URL]

--text TEXT   the code's text, e.g. a CCCD's
              '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Hà Nội|01012024' (quote it)
--card        the QR code of the simulated chip card in the simulated reader
The scan reaches whoever waits for one ('station qr scan --device barcode', POST
/devices/barcode/scan); nobody waiting, it is read and dropped, as on a real scanner.
Scenarios: 'station sim scenario barcode normal|no-suffix|legacy-codepage|unplugged'.
${URL_HELP}`,
  async run(args, io) {
    const { values } = parse(
      args,
      { ...urlOption, text: { type: 'string' }, card: { type: 'boolean', default: false } },
      { min: 0, max: 0 },
    );
    if ((values.text === undefined) === !values.card)
      throw new UsageError('give exactly one of --text TEXT or --card');
    if (values.text === '') throw new UsageError('--text is empty');
    return values.text === undefined
      ? call(io, 'POST', values.url, '/sim/barcode/actions/scan-card', {})
      : call(io, 'POST', values.url, '/sim/barcode/actions/scan', { text: values.text });
  },
};

export const simCommand: Command = {
  name: 'sim',
  summary: 'Drive the simulators of a running test station (scenarios and actions)',
  help: `Usage: station sim <list|show|scenario|do|barcode|render-finger|render-slap|card|camera> ...

list, show, scenario, do and barcode talk to the /sim/ routes of a running station in the test
environment;
render-finger and render-slap make synthetic prints offline; card puts a simulated CCCD into
pcscd's virtual reader (vsmartcard-vpcd) for any PC/SC client; camera switches the simulated
camera's scenario or person.`,
  subcommands: [
    simList,
    simShow,
    simScenario,
    simDo,
    simBarcode,
    renderFingerCommand,
    renderSlapCommand,
    simCardCommand,
    simCameraCommand,
  ],
};
