// A stand-in for station/reports/pdf-worker.ts in the renderer's tests: announces itself ready, then
// answers by the document's kind: 'hang' never answers, 'crash' exits the thread, anything else gets
// a few bytes naming the kind.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (request) => {
  const kind = request.document.kind;
  if (kind === 'hang') return;
  if (kind === 'crash') process.exit(3);
  parentPort.postMessage({ id: request.id, pdf: new TextEncoder().encode(`pdf:${kind}`) });
});
parentPort.postMessage({ ready: true });
