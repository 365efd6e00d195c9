import { BadRequestError } from '../errors.js';

// Cursors are opaque to clients but carry the tenant they were issued to and must name the
// partition of the query they continue; a cursor presented by another tenant, for another
// query, or tampered with is refused, so it cannot reach another partition.

type Key = Record<string, unknown>;

/** The partition a query reads, e.g. `{ name: 'GSI1PK', value: 'TENANT#t#APIKEYS' }`, and its SK prefix if any. */
export interface Partition {
  name: string;
  value: string;
  /** Within a tenant's partition, which items the query reads (`TOKEN#`, `WEBHOOK#`, ...). */
  skPrefix?: string;
}

export function encodeCursor(tenantId: string, lastKey: Key | undefined): string | null {
  if (!lastKey) return null;
  return Buffer.from(JSON.stringify({ t: tenantId, k: lastKey })).toString('base64url');
}

export function decodeCursor(
  tenantId: string,
  cursor: string | undefined,
  partition: Partition,
): Key | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t?: unknown;
      k?: unknown;
    };
    const key = parsed.k as Key;
    if (parsed.t !== tenantId || typeof key !== 'object' || key === null || Array.isArray(key))
      throw new Error();
    if (key[partition.name] !== partition.value) throw new Error('another partition');
    if (partition.skPrefix !== undefined && !String(key.SK).startsWith(partition.skPrefix))
      throw new Error('another query');
    if (Object.values(key).some((v) => typeof v !== 'string')) throw new Error('bad key');
    return key;
  } catch {
    throw new BadRequestError('The cursor is invalid.');
  }
}
