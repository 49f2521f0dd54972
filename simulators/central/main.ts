/**
 * The simulated central service as a program (issue 18): `npm run central -- [flags]`.
 *
 *   --data-dir DIR                 its keys, packets and logs (default ./data/central)
 *   --port N                       default: the port central.json remembers, else a free one
 *   --host H                       default 127.0.0.1
 *   --environment test|production  default test
 *   --status-step-ms N             time between production statuses (default 60000)
 *
 * Prints exactly one JSON line on stdout once listening:
 * `{"ready":true,"url":"https://127.0.0.1:PORT","dataDir":...,"environment":...}`. SIGTERM or SIGINT
 * close it cleanly (exit 0). A start that fails prints `CODE: message` on stderr and exits 1; a wrong
 * command line exits 2.
 */
import 'reflect-metadata';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCentral } from './service.ts';

function usage(message: string): never {
  process.stderr.write(
    `CENTRAL_USAGE: ${message}\nusage: central [--data-dir DIR] [--port N] [--host H] [--environment test|production] [--status-step-ms N]\n`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        environment: { type: 'string' },
        'status-step-ms': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | undefined> });
  } catch (error) {
    usage((error as Error).message);
  }
  const environment = values.environment ?? 'test';
  if (environment !== 'test' && environment !== 'production')
    usage(`--environment is test or production, not ${environment}`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isSafeInteger(port) || port < 0 || port > 65535))
    usage(`--port is 0 to 65535, not ${values.port}`);
  const step = values['status-step-ms'] === undefined ? undefined : Number(values['status-step-ms']);
  if (step !== undefined && (!Number.isSafeInteger(step) || step < 0))
    usage(`--status-step-ms is a whole number of ms, not ${values['status-step-ms']}`);
  const dataDir = path.resolve(values['data-dir'] ?? path.join('data', 'central'));

  const central = await startCentral({
    dataDir,
    environment,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(step === undefined ? {} : { statusStepMs: step }),
  });
  process.stdout.write(`${JSON.stringify({ ready: true, url: central.url, dataDir, environment })}\n`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    central.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`CENTRAL_CLOSE_FAILED: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  const code = (error as { code?: unknown }).code;
  process.stderr.write(
    `${typeof code === 'string' ? code : 'CENTRAL_START_FAILED'}: ${(error as Error).message ?? String(error)}\n`,
  );
  process.exit(1);
});
