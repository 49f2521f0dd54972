/**
 * The embedded central started before the rest of the station loads (`npm start`): a child process
 * that takes about a second to load and listen, so it starts first and its start runs beside the
 * service's own. Light on purpose: run.ts imports it before the service's module graph.
 */
import path from 'node:path';
import { type SpawnedCentral, spawnCentral } from '../../simulators/central/process.ts';
import type { StationConfig } from '../config/schema.ts';

export type EarlyCentral = Promise<SpawnedCentral>;

/**
 * Spawns the embedded central into `<dataDir>/central` (where composeStoreAndForward expects it) for
 * `central.mode` "embedded"; undefined otherwise. A failure is kept for whoever awaits it.
 */
export function startEmbeddedCentral(config: StationConfig): EarlyCentral | undefined {
  if (config.central.mode !== 'embedded') return undefined;
  const started = spawnCentral({
    dataDir: path.join(config.dataDir, 'central'),
    environment: config.environment,
  });
  // Awaited by the composition; until then a failure must not count as unhandled.
  started.catch(() => undefined);
  return started;
}
