/**
 * The soak's plan (issue 18 item 5): which failpoint each iteration arms, where the harness kills the
 * station when no failpoint does, how many enrollments it submits, and when central is killed too.
 * Every iteration draws from its own generator (seed and iteration number), so the plan of
 * iteration i does not depend on what happened before it; only the failpoint choice does (a
 * failpoint stays first in line until it has been hit).
 */
import type { FailpointName } from '../../station/failpoints.ts';
import { SeededRandom } from './random.ts';

/** Every failpoint the station calls (station/failpoints.ts); the soak hits each at least once. */
export const SOAK_FAILPOINTS: readonly FailpointName[] = [
  'outbox.after-tmp-fsync',
  'outbox.after-rename',
  'uploader.after-create',
  'uploader.after-commit-before-receipt',
  'outbox.after-receipt-before-move',
  'outbox.after-receipt-before-purge',
];

/** Every this many iterations central is SIGKILLed too and restarted on its data folder. */
export const CENTRAL_KILL_EVERY = 7;

export interface IterationPlan {
  readonly index: number;
  /** Set STATION_FAILPOINT to this; undefined: the harness kills the station itself. */
  readonly failpoint: FailpointName | undefined;
  /** Without a failpoint: kill while an enrollment is being sealed, or while packets upload. */
  readonly killAt: 'enqueue' | 'upload';
  /**
   * `enqueue`: the kill comes after this fraction of the expected time of the enrollments (0.7 ..
   * 1.15), so it lands in the rendering, the sealing, the outbox's write or just after; `upload`: ms after the last confirmation (0 .. 600).
   */
  readonly killDelay: number;
  /** New enrollments this iteration (1 .. 3), besides re-submitted unconfirmed ones. */
  readonly fresh: number;
  /** Submit them all at once rather than one after the other. */
  readonly concurrent: boolean;
  /** Kill central too this iteration, this many ms after the station is up; undefined: no. */
  readonly centralKillAfterMs: number | undefined;
  /** How long central stays down before its restart, ms. */
  readonly centralDownMs: number;
  /** Fresh enrollments: ids and the simulated applicant's seed. */
  readonly enrollments: readonly PlannedEnrollment[];
  /** More, submitted one by one while an armed failpoint has not fired yet. */
  readonly spares: readonly PlannedEnrollment[];
}

export interface PlannedEnrollment {
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  /** The simulated applicant (POST /sim/applicant/actions/enroll `seed`). */
  readonly seed: number;
}

/**
 * Simulated applicants drawn from 1 .. this: the station renders each applicant's slaps once per
 * process (5-10 s on this 2-core VM under load), so one applicant keeps iterations short; every
 * enrollment still has its own packet id and session nonce, so each is a distinct packet.
 */
export const APPLICANT_SEEDS = 1;

/** Spare enrollments per iteration (FAILPOINT_WAIT_MS / FAILPOINT_NUDGE_MS in the harness, rounded up). */
export const SPARES = 5;

/** The generator of iteration `index` for run seed `seed`. */
export function iterationRandom(seed: number, index: number): SeededRandom {
  // Mix the two with a multiplier so neighbouring seeds do not share streams shifted by one.
  return new SeededRandom((seed * 1_000_003 + index * 7919 + 1) % Number.MAX_SAFE_INTEGER);
}

/**
 * Chooses failpoints so that all of SOAK_FAILPOINTS are hit in a short run: every second
 * iteration arms one, and every iteration does once the failpoints not yet hit need the rest of
 * the run. The failpoint armed is the first not yet hit (so a miss is retried next time), then
 * round-robin once all were hit.
 */
export class FailpointSchedule {
  readonly #counts = new Map<FailpointName, number>(SOAK_FAILPOINTS.map((name) => [name, 0]));
  #rotation = 0;

  /** Which failpoint iteration `index` (0-based) of `total` arms, if any. */
  choose(index: number, total: number): FailpointName | undefined {
    const unhit = SOAK_FAILPOINTS.filter((name) => this.count(name) === 0);
    const remaining = total - index;
    const force = unhit.length > 0 && unhit.length * 2 >= remaining;
    if (!force && index % 2 === 0) return undefined;
    const first = unhit[0];
    if (first !== undefined) return first;
    const name = SOAK_FAILPOINTS[this.#rotation % SOAK_FAILPOINTS.length];
    this.#rotation += 1;
    return name;
  }

  /** Counts a `failpoint: <name>` line seen on the station's stderr. */
  recordHit(name: FailpointName): void {
    this.#counts.set(name, this.count(name) + 1);
  }

  count(name: FailpointName): number {
    return this.#counts.get(name) ?? 0;
  }

  counts(): Record<FailpointName, number> {
    return Object.fromEntries(SOAK_FAILPOINTS.map((name) => [name, this.count(name)])) as Record<
      FailpointName,
      number
    >;
  }

  /** Failpoints never hit. */
  missing(): FailpointName[] {
    return SOAK_FAILPOINTS.filter((name) => this.count(name) === 0);
  }
}

/** The plan of iteration `index`; `failpoint` comes from the FailpointSchedule. */
export function planIteration(
  seed: number,
  index: number,
  failpoint: FailpointName | undefined,
): IterationPlan {
  const random = iterationRandom(seed, index);
  const killAt = random.chance(0.5) ? 'enqueue' : 'upload';
  const killDelay = killAt === 'enqueue' ? 0.7 + random.next() * 0.45 : random.int(0, 600);
  const fresh = random.int(1, 3);
  const concurrent = random.chance(0.5);
  const centralKillAfterMs =
    index % CENTRAL_KILL_EVERY === CENTRAL_KILL_EVERY - 1 ? random.int(0, 1500) : undefined;
  const centralDownMs = random.int(100, 1500);
  const enrollment = (): PlannedEnrollment => ({
    packetId: random.uuid(),
    enrollmentSessionId: random.uuid(),
    seed: random.int(1, APPLICANT_SEEDS),
  });
  const enrollments = Array.from({ length: fresh }, enrollment);
  const spares = Array.from({ length: SPARES }, enrollment);
  return {
    index,
    failpoint,
    killAt,
    killDelay,
    fresh,
    concurrent,
    centralKillAfterMs,
    centralDownMs,
    enrollments,
    spares,
  };
}

/** Failpoint names in a chunk of stderr text (`failpoint: <name>` lines, station/failpoints.ts). */
export function failpointLines(text: string): FailpointName[] {
  const known = new Set<string>(SOAK_FAILPOINTS);
  const hits: FailpointName[] = [];
  for (const match of text.matchAll(/^failpoint: (\S+)$/gm)) {
    const name = match[1];
    if (name !== undefined && known.has(name)) hits.push(name as FailpointName);
  }
  return hits;
}
