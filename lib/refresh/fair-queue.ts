// The scheduled job's order of work: round robin across tenants, so one tenant's backlog or a slow
// provider cannot push other tenants' refreshes out of a run. Pure (no I/O), so it is unit-tested.

export interface DueEntry {
  tenantId: string;
  tokenId: string;
}

/**
 * Each run takes at most `share` tokens per tenant (the rest stay due for the next run). Free
 * workers go round robin across the tenants with work waiting, skipping a tenant that already has
 * its fair part of the workers in flight (workers / tenants waiting, rounded up): a tenant whose
 * provider is slow cannot hold every worker while others wait, and may use them all when no one
 * else is waiting.
 */
export class FairQueue {
  private readonly queues = new Map<string, string[]>();
  private readonly running = new Map<string, number>();
  /** Tenants with work waiting, in the order first seen (oldest due first). */
  private readonly waiting: string[] = [];
  private cursor = 0;
  /** Entries beyond a tenant's share, left for the next run. */
  deferred = 0;
  size = 0;

  constructor(
    private readonly share: number,
    private readonly workers: number,
  ) {}

  /** Adds entries in the order read; beyond a tenant's share they are counted, not queued. */
  add(entries: Iterable<DueEntry>): void {
    for (const e of entries) {
      let q = this.queues.get(e.tenantId);
      if (!q) {
        q = [];
        this.queues.set(e.tenantId, q);
        this.running.set(e.tenantId, 0);
      }
      if (q.length >= this.share) {
        this.deferred++;
        continue;
      }
      if (q.length === 0) this.waiting.push(e.tenantId);
      q.push(e.tokenId);
      this.size++;
    }
  }

  /** The next entry to refresh, or null when nothing is left. Call `done` when it finishes. */
  next(): DueEntry | null {
    const n = this.waiting.length;
    if (n === 0) return null;
    const fairPart = Math.ceil(this.workers / n);
    // With at most `workers - 1` in flight, some waiting tenant is under its fair part; the
    // fallback only matters if the caller runs more workers than it said.
    let at = -1;
    for (let i = 0; i < n && at < 0; i++) {
      const j = (this.cursor + i) % n;
      if ((this.running.get(this.waiting[j] as string) as number) < fairPart) at = j;
    }
    if (at < 0) at = this.cursor % n;
    const tenantId = this.waiting[at] as string;
    const q = this.queues.get(tenantId) as string[];
    const tokenId = q.shift() as string;
    this.size--;
    this.running.set(tenantId, (this.running.get(tenantId) as number) + 1);
    if (q.length === 0) {
      this.waiting.splice(at, 1);
      this.cursor = at;
    } else this.cursor = at + 1;
    if (this.cursor >= this.waiting.length) this.cursor = 0;
    return { tenantId, tokenId };
  }

  done(e: DueEntry): void {
    this.running.set(e.tenantId, Math.max(0, (this.running.get(e.tenantId) ?? 1) - 1));
  }
}
