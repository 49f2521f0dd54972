// Starts the simulated scanners' print render worker, whose module is TypeScript: loads tsx's loader in this
// thread, then the module named in workerData. Plain JavaScript so it runs before any loader.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.module, import.meta.url);
