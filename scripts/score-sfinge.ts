/**
 * Scores the five SFinGe fixtures with our quality score and prints them beside NIST's NFIQ 2
 * unified scores. Run after the weights are fixed (protocol/quality/score-model.ts): the fixtures
 * are never used to fit or tune the model. `node --import tsx scripts/score-sfinge.ts`
 */
import { scoreFinger } from '../protocol/quality/index.ts';
import { decodePgm } from '../station/imaging/grey-image.ts';
import { readFixture, readNistQualityOutput } from '../test/support/fixtures.ts';

const rows = [1, 2, 3, 4, 5].map((n) => {
  const name = `SFinGe_Test0${n}`;
  const image = decodePgm(readFixture(`nfiq2/${name}.pgm`));
  const nist = Number(readNistQualityOutput(name).get('UnifiedQualityScore'));
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
