/**
 * The office's enrollment rules come from the configuration (station/compose/enrollment.ts):
 * attempts, idle wipe, approval rules and the receipt's calendar with its public holidays, so an
 * office sets them without code; the defaults are the workflow's own.
 */
import { describe, expect, it } from 'vitest';
import { enrollmentRules } from '../../../station/compose/enrollment.ts';
import { parseConfig } from '../../../station/config/load.ts';
import { expectedDate } from '../../../station/workflows/enrollment/receipt.ts';

describe('the enrollment rules from the configuration', () => {
  it('defaults to three attempts, a 2 h idle wipe, approval on exceptions, low scores and corrections, and 7 working days', () => {
    const rules = enrollmentRules(parseConfig({ environment: 'test' }, { baseDir: '/' }));
    expect(rules).toEqual({
      limits: { maxAttempts: 3 },
      idleMs: 2 * 3_600_000,
      policy: { onExceptions: true, belowScore: 40, onCorrection: true },
      receipt: { workingDays: 7, holidays: [], keepMs: 24 * 3_600_000 },
    });
  });

  it('takes the office’s own, and the receipt’s date skips its holidays', () => {
    const config = parseConfig(
      {
        environment: 'test',
        enrollment: {
          maxAttempts: 5,
          idleWipeMinutes: 30,
          approval: { onExceptions: false, belowScore: 0 },
          receipt: { workingDays: 3, holidays: ['2026-12-09', '2026-12-10'], keepHours: 48 },
        },
      },
      { baseDir: '/' },
    );
    const rules = enrollmentRules(config);
    expect(rules.limits).toEqual({ maxAttempts: 5 });
    expect(rules.idleMs).toBe(30 * 60_000);
    expect(rules.policy).toEqual({ onExceptions: false, belowScore: 0, onCorrection: true });
    // Submitted on Monday 7 December 2026 (Vietnam): three working days are Tuesday to Thursday, or,
    // with Wednesday and Thursday public holidays, Tuesday, Friday and the next Monday.
    const submitted = Date.parse('2026-12-07T03:00:00Z');
    expect(expectedDate(submitted, { workingDays: 3 })).toBe('2026-12-10');
    expect(expectedDate(submitted, rules.receipt)).toBe('2026-12-14');
  });

  it('refuses a holiday that is not a date, naming the key', () => {
    expect(() =>
      parseConfig({ environment: 'test', enrollment: { receipt: { holidays: ['30/4'] } } }, { baseDir: '/' }),
    ).toThrow(/enrollment\/receipt\/holidays\/0/);
  });
});
