// Starts the face inference worker, whose module is TypeScript: loads tsx's loader in this thread,
// then the module named in workerData (FaceApiEngine passes it). Plain JavaScript so it runs before
// any loader; a JavaScript module (a test's stand-in) is imported as it is.
// Only the sources need it: from the build, the compiled worker starts directly (drivers/runtime-url.ts).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

if (workerData.module.endsWith('.ts')) await tsImport(workerData.module, import.meta.url);
else await import(workerData.module);
