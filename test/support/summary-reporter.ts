/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary,
 * so CI logs carry a count any reader can parse; before it, the slowest test files (the suite has a
 * 30-minute budget in CI, and this is where it goes).
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const slowest = testModules
      .map((module) => {
        const d = module.diagnostic();
        return {
          file: module.relativeModuleId,
          s: (d.duration + d.collectDuration + d.setupDuration) / 1000,
        };
      })
      .sort((a, b) => b.s - a.s)
      .slice(0, 15);
    process.stdout.write('\nslowest test files (s, tests and hooks plus import):\n');
    for (const { file, s } of slowest) process.stdout.write(`  ${s.toFixed(1).padStart(7)}  ${file}\n`);
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed outside its tests (an import error, a hook that timed out) counts once,
      // whatever its tests show (a failed beforeAll leaves them skipped).
      const testsFailed = [...module.children.allTests()].some((t) => t.result().state === 'failed');
      if (module.state() === 'failed' && !testsFailed) failed++;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
