import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, readConfigFile } from '../../config/load.ts';
import { ConfigError } from '../../errors.ts';
import { type Command, EXIT_FAILED, EXIT_OK, json, parse } from '../command.ts';

const check: Command = {
  name: 'check',
  summary: 'Validate a configuration file and print it with defaults filled in',
  help: `Usage: station config check <file>

Validates <file> against the configuration schema. On success prints the effective configuration
(defaults filled in, dataDir made absolute) as JSON on stdout and exits 0. On failure lists each bad
key with the allowed values on stderr and exits 1. No file yet? Start from the defaults:
  station config defaults > station.config.json Production settings that would be refused at start
(simulated devices, simulator routes, the embedded central service) fail the check too.`,
  async run(args, io) {
    const { positionals } = parse(args, {}, { min: 1, max: 1 });
    const file = path.resolve(io.cwd, positionals[0] ?? '');
    try {
      io.stdout(json(readConfigFile(file)));
      return EXIT_OK;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.stderr(`${error.message}\n`);
      if (error.code === 'CONFIG_UNREADABLE' && !existsSync(file))
        io.stderr(
          `Create it first, e.g. 'station config defaults > ${positionals[0]}', then change the keys you need.\n`,
        );
      return EXIT_FAILED;
    }
  },
};

const defaults: Command = {
  name: 'defaults',
  summary: 'Print the default configuration (what runs with no file)',
  help: `Usage: station config defaults

Prints the configuration the station uses when no file is given, as JSON: a starting point for a
station.config.json.`,
  async run(args, io) {
    parse(args, {}, { min: 0, max: 0 });
    const config = parseConfig({}, { baseDir: io.cwd });
    io.stdout(json({ ...config, dataDir: './var' }));
    return EXIT_OK;
  },
};

export const configCommand: Command = {
  name: 'config',
  summary: 'Check configuration files and show the defaults',
  help: `Usage: station config <check|defaults> ...

The configuration is one JSON file: STATION_CONFIG names it, else station.config.json in the working
directory is used if present, else the defaults (docs/configuration.md).`,
  subcommands: [check, defaults],
};
