/**
 * The generator evaluation set of bench/match.ts: which fingers, which impressions, which skin
 * conditions. Fixed seeds, so every run renders the same images.
 *
 * Each finger (a person seed and a finger position) gets GOOD_IMPRESSIONS impressions in the 'good'
 * condition and OTHER_IMPRESSIONS in other conditions, taken in turn from OTHER_CONDITIONS so that
 * every condition appears about equally. Genuine pairs: every two impressions of a finger.
 * Impostor pairs: every two impressions of different fingers, the other fingers of the same person
 * and fingers of the same pattern class included.
 */
import type { Condition } from '../../simulators/fingerprint/generator.ts';

/** Person seeds start here ('MATC'), away from the seeds the unit tests and the demo use. */
export const PERSON_SEED_BASE = 0x4d415443;
export const GOOD_IMPRESSIONS = 4;
export const OTHER_IMPRESSIONS = 3;
/** Every condition the generator has except 'no-finger' (nothing to compare). */
export const OTHER_CONDITIONS: readonly Condition[] = [
  'dry',
  'wet',
  'smudged',
  'moving',
  'light-touch',
  'heavy-pressure',
  'scarred',
  'partial',
  'latent-residue',
];

export interface ImpressionSpec {
  /** Index in the set, the template's identity in pair lists. */
  readonly index: number;
  readonly id: string;
  /** Finger index in the set: equal for genuine pairs. */
  readonly finger: number;
  readonly personSeed: number;
  /** Finger position 1-10. */
  readonly position: number;
  readonly impression: number;
  readonly condition: Condition;
}

/**
 * @param fingers how many fingers; they are taken as `fingersPerPerson` consecutive positions of
 *   each person, so same-person impostors exist
 */
export function generatorSet(fingers: number, fingersPerPerson = 5): ImpressionSpec[] {
  const specs: ImpressionSpec[] = [];
  let turn = 0;
  for (let f = 0; f < fingers; f++) {
    const person = Math.floor(f / fingersPerPerson);
    const personSeed = PERSON_SEED_BASE + person;
    // Persons alternate hands so every position 1-10 is covered.
    const position = 1 + ((f % fingersPerPerson) + (person % 2) * 5);
    for (let k = 0; k < GOOD_IMPRESSIONS + OTHER_IMPRESSIONS; k++) {
      const condition: Condition =
        k < GOOD_IMPRESSIONS ? 'good' : (OTHER_CONDITIONS[turn++ % OTHER_CONDITIONS.length] ?? 'good');
      const impression = 1 + f * 16 + k;
      specs.push({
        index: specs.length,
        id: `g${person}-f${position}-i${k}-${condition}`,
        finger: f,
        personSeed,
        position,
        impression,
        condition,
      });
    }
  }
  return specs;
}

/** How a genuine pair is filed: 'good' for two good impressions, else the other impression's condition ('mixed' for two others). */
export function genuineCategory(a: Condition, b: Condition): string {
  if (a === 'good' && b === 'good') return 'good';
  if (a === 'good') return b;
  if (b === 'good') return a;
  return 'mixed';
}
