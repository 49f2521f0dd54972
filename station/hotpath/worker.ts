/** The station's hot-path worker: serves STATION_JOBS. Started by HotpathPool, never imported. */
import { STATION_JOBS } from './jobs.ts';
import { type JobHandler, serveJobs } from './worker-runtime.ts';

serveJobs(STATION_JOBS as unknown as Readonly<Record<string, JobHandler>>);
