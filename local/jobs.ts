import type { JobDef } from '../lib/http/types.js';

/** Runs the jobs in-process (filled in with the refresh and webhook issues). Returns a stopper. */
export function startJobs(_root: string, _jobs: JobDef[]): () => Promise<void> {
  return async () => {};
}
