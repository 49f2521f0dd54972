/**
 * One render in a fresh process, for bench/generator.ts: prints the process's peak resident set in
 * KiB, so the bench can subtract a baseline (the same process that only loads the generator).
 * Usage: node --import tsx bench/generator-memory.ts baseline|finger|slap
 */
import { renderFinger, renderSlap } from '../simulators/fingerprint/generator.ts';

const kind = process.argv[2];
if (kind === 'finger') renderFinger({ personSeed: 77 });
else if (kind === 'slap') renderSlap({ personSeed: 77, hand: 'right' });
else if (kind !== 'baseline') throw new Error(`unknown kind ${kind}: baseline, finger or slap`);
console.log(JSON.stringify({ kind, maxRssKiB: process.resourceUsage().maxRSS }));
