// Starts central's packet-opening worker, whose module is TypeScript: loads tsx's loader in this
// thread, then the module named in workerData. Plain JavaScript so it runs before any loader.
// Only the sources need it: from the build, the compiled worker starts directly (drivers/runtime-url.ts).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.module, import.meta.url);
