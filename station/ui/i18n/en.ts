/** The officer's words in English, key for key with vi.ts (the type makes a missing key an error). */

import { adminEn } from './admin.en.ts';
import { eidEn } from './eid.en.ts';
import { enrollmentEn } from './enrollment.en.ts';
import { shellEn } from './shell.en.ts';
import { verificationEn } from './verification.en.ts';
import type { MessageKey } from './vi.ts';

export const en: Readonly<Record<MessageKey, string>> = {
  ...shellEn,
  ...enrollmentEn,
  ...verificationEn,
  ...eidEn,
  ...adminEn,
};
