import * as store from '../store/reencryption.js';
import { storedDataKeys } from '../store/tenants.js';
import type { DataKeyList } from './schemas.js';

/** Every data-key version of the tenant with its state and count, and the re-encryption's progress. */
export async function listDataKeys(tenantId: string): Promise<DataKeyList> {
  const [stored, job] = await Promise.all([storedDataKeys(tenantId), store.getReencryption(tenantId)]);
  const records = new Map(stored.records.map((r) => [r.version, r]));
  const versions = [...new Set([...stored.live, ...records.keys()])].sort((a, b) => a - b);
  const data = versions.map((version) => {
    const r = records.get(version);
    const state: DataKeyList['data'][number]['state'] =
      version === stored.current ? 'active' : stored.live.includes(version) ? 'retiring' : 'retired';
    const created_at = r?.created_at ?? (version === 1 ? stored.tenantCreatedAt : null);
    if (state === 'retired')
      return { version, state, created_at, values: 0, counted_at: r?.retired_at ?? null };
    // The job's last pass is the freshest count; without a job, what the last one left on the record.
    if (job?.last) {
      return {
        version,
        state,
        created_at,
        values: job.last.counts[version] ?? 0,
        counted_at: job.last.finished_at,
      };
    }
    return { version, state, created_at, values: r?.values ?? null, counted_at: r?.counted_at ?? null };
  });
  return {
    data,
    reencryption: job
      ? {
          status: job.pass ? 'running' : 'waiting',
          rotated_at: job.rotated_at,
          next_run_at: job.due_at,
          pass: job.pass
            ? {
                started_at: job.pass.started_at,
                items: job.pass.items,
                values: job.pass.values,
                resealed: job.pass.resealed,
                skipped: job.pass.skipped,
                failed: job.pass.failed,
              }
            : null,
        }
      : null,
  };
}
