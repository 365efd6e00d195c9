import { REFRESH_ON_DEMAND } from '../../lib/refresh/function-ids.js';
import { type JobDef, oauthCall } from '../defs.js';

// The refresh jobs; functions/routes.ts folds them into the job list.

export const refreshJobs: JobDef[] = [
  {
    id: 'RefreshDue',
    entry: 'functions/jobs/refresh-due.ts',
    summary: 'Refresh the tokens due, from the sparse refresh index',
    access: oauthCall,
    trigger: 'schedule',
    timeoutSeconds: 240,
  },
  {
    id: REFRESH_ON_DEMAND,
    entry: 'functions/jobs/refresh-on-demand.ts',
    summary: 'Refresh one token that GetToken found near expiry (invoked by GetToken)',
    access: oauthCall,
    trigger: 'invoke',
    // Within GetToken's 29 s: the engine waits at most 25 s for another refresh's lease.
    timeoutSeconds: 27,
  },
];
