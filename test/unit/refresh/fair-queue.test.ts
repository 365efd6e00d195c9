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
    // Prepare: the flooding tenant's entries are all older than the others'.
    const q = new FairQueue(100, 1);
    q.add([...entries('flood', 50), ...entries('b', 2), ...entries('c', 1)]);

    // Act
    const order = drain(q).map((e) => e.tokenId);

    // Assess
    expect(order.slice(0, 6)).toEqual(['flood-0', 'b-0', 'c-0', 'flood-1', 'b-1', 'flood-2']);
    expect(order).toHaveLength(53);
    expect(order.filter((id) => id.startsWith('flood'))).toEqual(entries('flood', 50).map((e) => e.tokenId));
  });

  it('takes at most a share per tenant per run and counts the rest as deferred', () => {
    // Prepare
    const q = new FairQueue(10, 4);

    // Act
    q.add([...entries('flood', 5000), ...entries('b', 3)]);
    const deferred = q.deferred;
    const size = q.size;
    const got = drain(q);

    // Assess
    expect(deferred).toBe(4990);
    expect(size).toBe(13);
    expect(got.filter((e) => e.tenantId === 'flood')).toHaveLength(10);
    expect(got.filter((e) => e.tenantId === 'b')).toHaveLength(3);
  });

  it('a slow tenant holds at most its fair part of the workers while others wait', () => {
    // Prepare
    const q = new FairQueue(1000, 8);
    q.add([...entries('slow', 500), ...entries('b', 100)]);

    // Act: 8 workers start; the slow tenant's refreshes never finish in this test, b's finish at once.
    const inFlight: DueEntry[] = [];
    for (let i = 0; i < 8; i++) inFlight.push(q.next() as DueEntry);

    // Assess
    expect(inFlight.filter((e) => e.tenantId === 'slow')).toHaveLength(4);

    // Act: b's refreshes finish one by one; each frees a worker for the next entry.
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

    // Assess
    expect(bDone).toBe(100);
    // with b done, the slow tenant may use every worker
    expect(inFlight).toHaveLength(8);
    expect(inFlight.every((e) => e.tenantId === 'slow')).toBe(true);
  });

  it('returns null when empty', () => {
    // Prepare
    const q = new FairQueue(5, 2);

    // Act
    const fromEmpty = q.next();
    q.add(entries('a', 1));
    const first = q.next();
    const afterLast = q.next();

    // Assess
    expect(fromEmpty).toBeNull();
    expect(first).toEqual({ tenantId: 'a', tokenId: 'a-0' });
    expect(afterLast).toBeNull();
  });
});
