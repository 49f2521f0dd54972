/**
 * The officer's words in Vietnamese: the screen's default language. Every string the screen shows
 * comes from one catalogue per language, made of one part per area of the screen (the shell, each
 * job's screens); en.ts must have the same keys (its type and a test check it). `{name}` marks a
 * value filled in at run time.
 */

import { adminVi } from './admin.vi.ts';
import { eidVi } from './eid.vi.ts';
import { enrollmentVi } from './enrollment.vi.ts';
import { shellVi } from './shell.vi.ts';
import { verificationVi } from './verification.vi.ts';

export const vi = {
  ...shellVi,
  ...enrollmentVi,
  ...verificationVi,
  ...eidVi,
  ...adminVi,
} as const;

export type MessageKey = keyof typeof vi;
