/**
 * Scores the five SFinGe fixtures with our quality score and prints them beside NIST's NFIQ 2
 * unified scores. Run after the weights are fixed (protocol/quality/score-model.ts): the fixtures
 * are never used to fit or tune the model. `node --import tsx scripts/score-sfinge.ts`
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scoreFinger } from '../protocol/quality/index.ts';
import { decodePgm } from '../station/imaging/grey-image.ts';

const root = process.env.CCCD_FIXTURES ?? path.resolve(import.meta.dirname, '../../shared/fixtures');
const rows = [1, 2, 3, 4, 5].map((n) => {
  const name = `SFinGe_Test0${n}`;
  const image = decodePgm(new Uint8Array(readFileSync(path.join(root, 'nfiq2', `${name}.pgm`))));
  const nist = Number(
    /UnifiedQualityScore:\s*(\d+)/.exec(
      readFileSync(path.join(root, 'nfiq2', `${name}_output.txt`), 'utf8'),
    )?.[1],
  );
  const result = scoreFinger(image);
  if (!result.ok) throw new Error(`${name}: ${result.error.detail}`);
  return {
    name,
    nist,
    ours: result.value.score,
    feedback: result.value.feedback.map((f) => f.code).join(' '),
  };
});
console.table(rows);
const byNist = [...rows].sort((a, b) => b.nist - a.nist).map((r) => r.name);
const byOurs = [...rows].sort((a, b) => b.ours - a.ours).map((r) => r.name);
console.log(`NIST order: ${byNist.join(' > ')}`);
console.log(`our order:  ${byOurs.join(' > ')}`);
