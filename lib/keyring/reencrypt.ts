import { auditCompanion, systemContext } from '../audit/service.js';
import { config } from '../config.js';
import { sealedVersion } from '../crypto/envelope.js';
import { logger } from '../observability.js';
import * as store from '../store/reencryption.js';
import { loadKeyRing, recordDataKeyValues, retireDataKeyVersion } from '../store/tenants.js';
import { dataKeys } from './index.js';
import { sealedFields } from './sealed.js';

// The re-encryption job: after a rotation, moves every sealed value in the tenant's partition to
// the current data-key version, then retires the old versions.
//
// - Rate: at most DATA_KEY_REENCRYPT_PER_SECOND values looked at per second, a page at a time.
// - Crash-safe: the cursor and counts are saved after every page (lib/store/reencryption.ts), so
//   the next run continues after the last saved page.
// - No lost write: each reseal is conditional on the old ciphertext (and the item's version); a
//   value changed meanwhile is skipped, and the pass does not count as clean.
// - Retirement: processes may keep sealing with the old version for one cache period after the
//   rotation, so only a clean pass (nothing under an old version, nothing skipped or failed) that
//   STARTED after rotated_at + DATA_KEY_CACHE_SECONDS proves the partition free of it; connect
//   sessions (outside the partition) are covered by waiting DATA_KEY_RETIRE_AFTER_SECONDS.

export interface ReencryptStats {
  tenants: number;
  resealed: number;
  skipped: number;
  failed: number;
  retired: number;
}

const PAGE_MAX = 100;
/** After a pass that was not clean, the next one starts this much later. */
const RETRY_MS = 30_000;
/**
 * A run holds a tenant's job for this long past its next save (renewed with every page), so a
 * crashed run's job is taken over soon after.
 */
const LEASE_MS = 15_000;
const TENANTS_PER_SHARD = 25;

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const emptyStats = (): ReencryptStats => ({ tenants: 0, resealed: 0, skipped: 0, failed: 0, retired: 0 });

const newPass = (now: number): store.ReencryptionPass => ({
  started_at: iso(now),
  cursor: null,
  items: 0,
  values: 0,
  resealed: 0,
  skipped: 0,
  failed: 0,
  counts: {},
});

/** Every tenant whose job is due, until `deadline` (epoch ms). */
export async function reencryptDue(deadline: number): Promise<ReencryptStats> {
  const stats = emptyStats();
  for (const shard of store.REENCRYPTION_SHARDS) {
    const tenants = await store.dueReencryptions(shard, iso(Date.now()), TENANTS_PER_SHARD);
    for (const tenantId of tenants) {
      if (Date.now() >= deadline) return stats;
      try {
        await reencryptTenant(tenantId, deadline, stats);
      } catch (err) {
        // One tenant's failure (KMS throttled, say) must not stop the others; its job stays due.
        logger.error('Re-encryption failed for a tenant', {
          tenant_id: tenantId,
          error: (err as Error).name,
        });
      }
    }
  }
  return stats;
}

/** One run of one tenant's job: walks on from its cursor until done or `deadline`. */
export async function reencryptTenant(
  tenantId: string,
  deadline: number,
  stats: ReencryptStats = emptyStats(),
): Promise<ReencryptStats> {
  const job = await store.getReencryption(tenantId);
  if (!job || !(await store.claimReencryption(job, Date.now() + LEASE_MS, Date.now()))) return stats;
  stats.tenants++;
  try {
    return await run(job, deadline, stats);
  } finally {
    await store.releaseReencryption(job);
  }
}

async function run(
  job: store.ReencryptionJob,
  deadline: number,
  stats: ReencryptStats,
): Promise<ReencryptStats> {
  const tenantId = job.tenant_id;
  const ring = await loadKeyRing(tenantId);
  // This process seals with the stored current version from here on.
  await dataKeys.currentVersion(tenantId, true);
  const old = Object.keys(ring.wrapped)
    .map(Number)
    .filter((v) => v !== ring.current);
  if (old.length === 0) {
    await store.deleteReencryption(job);
    return stats;
  }
  const rotatedAt = Date.parse(job.rotated_at);
  const settledAt = rotatedAt + config.DATA_KEY_CACHE_SECONDS * 1000;
  const retireAt = Math.max(settledAt, rotatedAt + config.DATA_KEY_RETIRE_AFTER_SECONDS * 1000);

  if (!job.pass && job.last && provesFree(job.last, settledAt, ring.current)) {
    if (Date.now() < retireAt) {
      job.due_at = iso(retireAt);
      await store.saveReencryption(job, Date.now() + LEASE_MS);
      return stats;
    }
    return retire(job, old, ring.current, stats);
  }

  const pass = job.pass ?? newPass(Date.now());
  job.pass = pass;
  const pageSize = Math.min(PAGE_MAX, config.DATA_KEY_REENCRYPT_PER_SECOND);
  while (Date.now() < deadline) {
    const started = Date.now();
    const page = await store.tenantItemsPage(tenantId, pass.cursor, pageSize);
    let values = 0;
    for (const item of page.items) {
      pass.items++;
      for (const f of sealedFields(tenantId, item)) {
        values++;
        await resealOne(item, f.attribute, f.ref, ring.current, pass, stats);
      }
    }
    pass.values += values;
    pass.cursor = page.last;
    const done = page.last === null;
    if (done) {
      job.last = { ...pass, finished_at: iso(Date.now()) };
      job.pass = null;
      // A free pass waits for the retirement time. A pass whose only flaw is that it began within
      // the cache period is followed by another as soon as that is over; any other, a bit later.
      const free = provesFree(job.last, settledAt, ring.current);
      const clean = provesFree(job.last, 0, ring.current);
      job.due_at = iso(free ? retireAt : clean ? settledAt : Date.now() + RETRY_MS);
    }
    // Bounded rate: a page of `values` takes at least values / rate seconds.
    const wait = (values / config.DATA_KEY_REENCRYPT_PER_SECOND) * 1000 - (Date.now() - started);
    // A rotation or another run took over: stop.
    if (!(await store.saveReencryption(job, Date.now() + Math.max(0, wait) + LEASE_MS))) return stats;
    if (done) {
      const free = provesFree(pass, settledAt, ring.current);
      return free && Date.now() >= retireAt ? retire(job, old, ring.current, stats) : stats;
    }
    if (wait > 0) await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
  }
  return stats;
}

/** Retires the old versions (nothing uses them any more) and ends the job. */
async function retire(job: store.ReencryptionJob, old: number[], current: number, stats: ReencryptStats) {
  // The job's counts go with it: the current version's stays on its record.
  if (job.last) {
    await recordDataKeyValues(job.tenant_id, current, job.last.counts[current] ?? 0, job.last.finished_at);
  }
  for (const v of old) {
    const event = auditCompanion(job.tenant_id, systemContext('DataKeyReencryption'), 'data_key.retire', {
      type: 'data_key',
      id: String(v),
    });
    // The last one ends the job in the same transaction: retired and done are seen together.
    const end = v === old[old.length - 1] ? [store.reencryptionEnd(job)] : [];
    if (await retireDataKeyVersion(job.tenant_id, v, iso(Date.now()), [event, ...end])) {
      dataKeys.forget(job.tenant_id, v);
      stats.retired++;
      logger.info('Data key version retired', { tenant_id: job.tenant_id, version: v });
    }
  }
  // Already ended unless the last version was retired before (a run that stopped in between).
  await store.deleteReencryption(job);
  return stats;
}

/** A pass proves the partition free of old versions: clean, and begun after the cache period. */
function provesFree(pass: store.ReencryptionPass, settledAt: number, current: number): boolean {
  const onlyCurrent = Object.entries(pass.counts).every(([v, n]) => Number(v) === current || n === 0);
  return onlyCurrent && pass.skipped === 0 && pass.failed === 0 && Date.parse(pass.started_at) >= settledAt;
}

async function resealOne(
  item: Record<string, unknown>,
  attribute: string,
  ref: Parameters<typeof dataKeys.reseal>[0],
  current: number,
  pass: store.ReencryptionPass,
  stats: ReencryptStats,
): Promise<void> {
  const sealed = item[attribute] as string;
  const count = (v: number) => {
    pass.counts[v] = (pass.counts[v] ?? 0) + 1;
  };
  let version: number;
  try {
    version = sealedVersion(sealed);
  } catch {
    pass.failed++;
    stats.failed++;
    return;
  }
  if (version === current) return count(version);
  let next: string | null;
  try {
    next = await dataKeys.reseal(ref, sealed);
  } catch (err) {
    // Never logged: the value. Logged: where it is, so an operator can look.
    logger.error('A sealed value did not open for re-encryption', {
      tenant_id: ref.tenantId,
      record: ref.record,
      field: ref.field,
      error: (err as Error).name,
    });
    pass.failed++;
    stats.failed++;
    return count(version);
  }
  if (next === null || sealedVersion(next) !== current) {
    // This process's ring moved on (another rotation): the next pass handles it.
    pass.skipped++;
    stats.skipped++;
    return count(version);
  }
  if (await store.resealAttribute(item, attribute, sealed, next)) {
    pass.resealed++;
    stats.resealed++;
    return count(current);
  }
  // Changed since this page was read: the newer value stands; the next pass looks at it again.
  pass.skipped++;
  stats.skipped++;
}
