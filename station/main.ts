/** `npm start`: run the station; configuration errors print what to fix and exit 1. */
import { ConfigError } from './errors.ts';
import { runStation } from './run.ts';

try {
  await runStation();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`station: ${error.message}\n`);
  } else {
    process.stderr.write(
      `station: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
}
