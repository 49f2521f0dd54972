/**
 * A hot-path worker for tests: the station's jobs plus a few that misbehave on purpose (spin, die,
 * hang, leak), so the pool's handling of slow, dead and stuck workers is exercised for real.
 */
import { STATION_JOBS } from '../../station/hotpath/jobs.ts';
import { type JobContext, type JobHandler, serveJobs } from '../../station/hotpath/worker-runtime.ts';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: a CPU-bound stage, as the real algorithms are.
  }
}

const testJobs: Record<string, JobHandler> = {
  ...(STATION_JOBS as unknown as Record<string, JobHandler>),
  /** Runs `stages` stages of `ms` each; answers how many ran. */
  spin: ((input: { ms: number; stages?: number }, ctx: JobContext) => {
    let ran = 0;
    for (let i = 0; i < (input.stages ?? 1); i++) {
      ctx.stage(`spin-${i}`, () => spin(input.ms));
      ran++;
    }
    return { value: ran };
  }) as JobHandler,
  /** The worker thread dies mid-job (as on a fatal native error), without answering. */
  crash: (() => {
    spin(20);
    process.exit(70);
  }) as JobHandler,
  /** Never answers. */
  hang: (() => {
    for (;;) spin(1000);
  }) as JobHandler,
};

serveJobs(testJobs);
