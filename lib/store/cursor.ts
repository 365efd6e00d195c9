import { BadRequestError } from '../errors.js';

// Cursors are opaque to clients but carry the tenant they were issued to; a cursor presented by
// another tenant (or tampered with) is refused, so it cannot reach another partition.

type Key = Record<string, unknown>;

export function encodeCursor(tenantId: string, lastKey: Key | undefined): string | null {
  if (!lastKey) return null;
  return Buffer.from(JSON.stringify({ t: tenantId, k: lastKey })).toString('base64url');
}

export function decodeCursor(tenantId: string, cursor: string | undefined): Key | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t?: unknown;
      k?: unknown;
    };
    if (parsed.t !== tenantId || typeof parsed.k !== 'object' || parsed.k === null)
      throw new Error('foreign');
    const key = parsed.k as Key;
    for (const [name, value] of Object.entries(key)) {
      if (typeof value !== 'string') throw new Error('bad key');
      // Every key attribute of a tenant's item names the tenant; anything else is not this tenant's.
      const own = `TENANT#${tenantId}`;
      if ((name === 'PK' || name === 'GSI1PK') && value !== own && !value.startsWith(`${own}#`)) {
        throw new Error('foreign');
      }
    }
    return key;
  } catch {
    throw new BadRequestError('The cursor is invalid.');
  }
}
