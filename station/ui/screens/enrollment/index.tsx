/**
 * The enrollment officer's job (issue 22): the queue of open drafts, and one draft from its type to
 * the queued packet and the citizen's receipt. Route `#/enrollment` (the queue) and
 * `#/enrollment/<draft id>` (the draft, resumable after a refresh or a station restart).
 */
import type { Job } from '../../jobs.ts';
import { DraftScreen } from './draft.tsx';
import './enrollment.css';
import { Queue } from './queue.tsx';

const DRAFT_PATH = /^\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function Enrollment({ path }: { path: string }) {
  const id = DRAFT_PATH.exec(path)?.[1];
  return id === undefined ? <Queue /> : <DraftScreen key={id} id={id} />;
}

export const enrollmentJob: Job = {
  route: '/enrollment',
  roles: ['officer', 'supervisor'],
  title: 'home.enrollment',
  hint: 'home.enrollment.hint',
  component: Enrollment,
};
