import { describe, expect, it } from 'vitest';
import { type DueEntry, FairQueue } from '../../../lib/refresh/fair-queue.js';

const entries = (tenantId: string, n: number): DueEntry[] =>
  Array.from({ length: n }, (_, i) => ({ tenantId, tokenId: `${tenantId}-${i}` }));

/** Takes everything, one at a time, finishing each before the next (one worker). */
const drain = (q: FairQueue) => {
  const out: DueEntry[] = [];
  for (let e = q.next(); e; e = q.next()) {
    out.push(e);
    q.done(e);
  }
  return out;
};

describe('FairQueue', () => {
  it('serves tenants round robin, each tenant oldest first, whatever the read order', () => {
    const q = new FairQueue(100, 1);
    // the flooding tenant's entries are all older than the others'
    q.add([...entries('flood', 50), ...entries('b', 2), ...entries('c', 1)]);
    const order = drain(q).map((e) => e.tokenId);
    expect(order.slice(0, 6)).toEqual(['flood-0', 'b-0', 'c-0', 'flood-1', 'b-1', 'flood-2']);
    expect(order).toHaveLength(53);
    expect(order.filter((id) => id.startsWith('flood'))).toEqual(entries('flood', 50).map((e) => e.tokenId));
  });

  it('takes at most a share per tenant per run and counts the rest as deferred', () => {
    const q = new FairQueue(10, 4);
    q.add([...entries('flood', 5000), ...entries('b', 3)]);
    expect(q.deferred).toBe(4990);
    expect(q.size).toBe(13);
    const got = drain(q);
    expect(got.filter((e) => e.tenantId === 'flood')).toHaveLength(10);
    expect(got.filter((e) => e.tenantId === 'b')).toHaveLength(3);
  });

  it('a slow tenant holds at most its fair part of the workers while others wait', () => {
    const q = new FairQueue(1000, 8);
    q.add([...entries('slow', 500), ...entries('b', 100)]);
    // 8 workers start; the slow tenant's refreshes never finish in this test, b's finish at once.
    const inFlight: DueEntry[] = [];
    for (let i = 0; i < 8; i++) inFlight.push(q.next() as DueEntry);
    expect(inFlight.filter((e) => e.tenantId === 'slow')).toHaveLength(4);
    let bDone = 0;
    for (let step = 0; step < 200; step++) {
      const i = inFlight.findIndex((e) => e.tenantId === 'b');
      if (i < 0) break;
      const [finished] = inFlight.splice(i, 1) as [DueEntry];
      q.done(finished);
      bDone++;
      const next = q.next();
      if (next) inFlight.push(next);
      // while b has work waiting, the slow tenant never holds more than half the workers
      if (bDone < 96) expect(inFlight.filter((e) => e.tenantId === 'slow').length).toBeLessThanOrEqual(4);
    }
    expect(bDone).toBe(100);
    // with b done, the slow tenant may use every worker
    expect(inFlight).toHaveLength(8);
    expect(inFlight.every((e) => e.tenantId === 'slow')).toBe(true);
  });

  it('returns null when empty', () => {
    const q = new FairQueue(5, 2);
    expect(q.next()).toBeNull();
    q.add(entries('a', 1));
    expect(q.next()).toEqual({ tenantId: 'a', tokenId: 'a-0' });
    expect(q.next()).toBeNull();
  });
});
