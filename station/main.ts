/** `npm start`: run the station; configuration and listen errors print what to fix and exit 1. */
import nodeModule from 'node:module';
import { StationError } from './errors.ts';
import { runtimeProblem } from './runtime.ts';

const wrongRuntime = runtimeProblem(process.versions.node);
if (wrongRuntime !== undefined) {
  process.stderr.write(`station: ${wrongRuntime}\n`);
  process.exit(1);
}

// V8's compiled code for the module graph is kept on disk (Node's own cache folder under the system's
// temporary directory, or NODE_COMPILE_CACHE), so a warm start does not compile a second time.
// Through the module object, not a named import: on an older Node.js without it (refused just above)
// a named import would fail before the runtime check could say why.
nodeModule.enableCompileCache?.();

try {
  // Loaded after the runtime check: on a wrong Node.js the station says so before it loads fastify,
  // the devices' native addons and the rest of its module graph.
  const { runStation } = await import('./run.ts');
  await runStation();
} catch (error) {
  if (error instanceof StationError) {
    process.stderr.write(`station: ${error.message} [${error.code}]\n`);
  } else {
    process.stderr.write(
      `station: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
}
