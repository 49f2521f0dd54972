/**
 * The jobs the screen offers, one module per area (enrollment, e-ID registration, notary
 * verification, administration): each gives its route (the URL's hash, e.g. `/enrollment`), the
 * roles that may do it, its title and hint on the home screen, and the component that runs it.
 */
import type { ComponentType } from 'preact';
import type { MessageKey } from './i18n/index.ts';
import { adminJob } from './screens/admin/index.tsx';
import { eidJob } from './screens/eid/index.tsx';
import { enrollmentJob } from './screens/enrollment/index.tsx';
import { verificationJob } from './screens/verification/index.tsx';
import type { Role } from './state.ts';

export interface Job {
  readonly route: string;
  readonly roles: readonly Role[];
  readonly title: MessageKey;
  readonly hint: MessageKey;
  /** The job's screens; `path` is the rest of the hash after the route (e.g. `/3f2a…/review`). */
  readonly component: ComponentType<{ path: string }>;
}

/** In the order the home screen offers them. */
export const JOBS: readonly Job[] = [enrollmentJob, eidJob, verificationJob, adminJob];
