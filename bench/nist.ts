/**
 * npm run bench:nist: reading a ~2 MB ANSI/NIST-ITL transaction, and reading plus the JSON dump that
 * `station nist dump` prints (binaries as length and SHA-256). Target (issue 17): dump <= 50 ms
 * after start. The transaction is built here: Type-1, Type-2 and 90 Type-14 records, each holding
 * NIST's 22,036-byte WSQ finger (shared fixtures). Writes bench/results/nist.json.
 * BENCH_RUNS sets the timed runs (default 51).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildTransaction, readTransaction, type Type14Spec } from '../protocol/ansi-nist/index.ts';
import { transactionJson } from '../station/cli/commands/nist.ts';
import { type14Spec } from '../test/support/ansi-nist-specs.ts';
import { readFixture } from '../test/support/fixtures.ts';
import { summarize, timeRuns } from './stats.ts';

const runs = Number(process.env.BENCH_RUNS ?? 51);
const wsq = readFixture('wsq/nistFinger_500x500_cwsq075.wsq');
const fingers: Type14Spec[] = Array.from({ length: 90 }, (_, i) =>
  type14Spec((i % 99) + 1, (i % 10) + 1, wsq, {
    src: 'VN0000001',
    fcd: '20261122',
    quality: [{ fgp: (i % 10) + 1, score: 60 }],
  }),
);
const file = buildTransaction({
  type1: {
    tot: 'CCE',
    date: '20261122',
    dai: 'VN0000000',
    ori: 'VN0000001',
    tcn: 'BENCH',
    nsr: '00.00',
    ntr: '00.00',
  },
  records: [{ type: 2, idc: 0 }, ...fingers],
});

function read() {
  const result = readTransaction(file);
  if (!result.ok) throw new Error(`read failed: ${result.error.reason} at ${result.error.offset}`);
  return result.value;
}

const results = {
  transactionBytes: file.length,
  records: read().records.length,
  read: summarize(timeRuns(runs, 10, read)),
  readAndDumpJson: summarize(timeRuns(runs, 10, () => JSON.stringify(transactionJson(read(), file, false)))),
  readAndDumpJsonBase64: summarize(
    timeRuns(runs, 10, () => JSON.stringify(transactionJson(read(), file, true))),
  ),
  targetMs: 50,
};
console.log(JSON.stringify(results, null, 2));
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/nist.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
