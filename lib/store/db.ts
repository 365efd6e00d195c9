import {
  ConditionalCheckFailedException,
  type ReturnValue,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { INDEXES } from './keys.js';

// SDK errors are translated where the store calls DynamoDB; nothing outside lib/store sees them.

export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as Error)?.name === 'ConditionalCheckFailedException'
  );
}

/**
 * For a cancelled transaction, the indexes of the items whose condition failed, in the order the
 * items were given; `null` if the error is not a condition failure.
 */
export function failedConditions(err: unknown): number[] | null {
  if (
    !(err instanceof TransactionCanceledException) &&
    (err as Error)?.name !== 'TransactionCanceledException'
  ) {
    return null;
  }
  const reasons = (err as TransactionCanceledException).CancellationReasons ?? [];
  const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
  return failed.length > 0 ? failed : null;
}

/** A transaction cancelled because another one touched the same item at the same time. */
export function isTransactionConflict(err: unknown): boolean {
  if ((err as Error)?.name !== 'TransactionCanceledException') return false;
  return ((err as TransactionCanceledException).CancellationReasons ?? []).some(
    (r) => r.Code === 'TransactionConflict',
  );
}

/**
 * Runs a transaction, retrying (a few times, with jitter) when it collides with a concurrent one on
 * a shared item such as a counter; the SDK does not retry those.
 */
export async function withConflictRetry<T>(run: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !isTransactionConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 * 2 ** i * (0.5 + Math.random())));
    }
  }
}

/** An ISO timestamp `seconds` from now, as epoch seconds for the TTL attribute. */
export const ttlIn = (seconds: number, from = Date.now()) => Math.floor(from / 1000) + seconds;

// --- Writes, with companions ---------------------------------------------------------------------

type Item = Record<string, unknown>;

/** One entry of a TransactWriteItems call (Put, Update, Delete or ConditionCheck). */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A write that must commit together with a store write, or neither does: an audit entry, an
 * outbox event, a plan counter, using up a one-time code. Every exported store write takes
 * `also: Companion[]` last. If the companion's condition fails, its `failed()` is thrown.
 */
export interface Companion {
  item: TransactItem;
  failed?: () => Error | Promise<Error>;
}

/** Committed (with what the single write returned, or the item re-read), or which own item's condition failed. */
export type WriteResult = { ok: true; attributes?: Item } | { ok: false; failed: number };

const keyOf = (t: TransactItem): Item | undefined => {
  if (t.Put) return { PK: t.Put.Item?.PK, SK: t.Put.Item?.SK };
  return t.Update?.Key ?? t.Delete?.Key ?? t.ConditionCheck?.Key;
};

/** One item by its key; consistent unless told otherwise. */
export const getConsistent = async (key: Item, consistent = true): Promise<Item | undefined> =>
  (await ddb.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistent }))).Item;

/**
 * The one place a store write reaches DynamoDB. `items` are the entity's own writes; `also` the
 * caller's companions. One item and no companion: a single Put/Update/Delete, with `returnValues`
 * (no transaction's cost on hot paths). Otherwise one TransactWriteItems; as a transaction returns
 * no values, `returnValues` is served by a consistent read of the first item (before the write for
 * ALL_OLD, after it otherwise). A failed condition on an own item is returned, not thrown; a companion's throws its `failed()`.
 */
export async function write(
  items: TransactItem[],
  also: Companion[] = [],
  returnValues?: ReturnValue,
): Promise<WriteResult> {
  const single = items.length === 1 && also.length === 0 ? items[0] : undefined;
  if (single && !single.ConditionCheck) {
    try {
      const rv = returnValues ? { ReturnValues: returnValues } : {};
      const out = single.Put
        ? await ddb.send(new PutCommand({ ...single.Put, ...rv } as never))
        : single.Update
          ? await ddb.send(new UpdateCommand({ ...single.Update, ...rv } as never))
          : await ddb.send(new DeleteCommand({ ...single.Delete, ...rv } as never));
      return { ok: true, attributes: (out as { Attributes?: Item }).Attributes };
    } catch (err) {
      if (isConditionFailure(err)) return { ok: false, failed: 0 };
      throw err;
    }
  }
  const key = returnValues && items[0] ? keyOf(items[0]) : undefined;
  const before = key && returnValues === 'ALL_OLD' ? await getConsistent(key) : undefined;
  try {
    await ddb.send(new TransactWriteCommand({ TransactItems: [...items, ...also.map((c) => c.item)] }));
  } catch (err) {
    const failed = failedConditions(err);
    if (!failed) throw err;
    // The caller's companions speak first (a used-up code, a plan limit), then the entity's own.
    const other = failed.find((i) => i >= items.length);
    if (other !== undefined) {
      const c = also[other - items.length];
      throw c?.failed ? await c.failed() : new ConflictError('A related item changed concurrently; retry.');
    }
    return { ok: false, failed: failed[0] ?? 0 };
  }
  if (!key || returnValues === 'NONE') return { ok: true };
  return { ok: true, attributes: returnValues === 'ALL_OLD' ? before : await getConsistent(key) };
}

/** Deletes an item that must exist; a missing one (or another tenant's: keys name the tenant) is a 404. */
export async function deleteExisting(key: Item, what: string, also: Companion[] = []): Promise<void> {
  const r = await write(
    [{ Delete: { TableName: tableName, Key: key, ConditionExpression: 'attribute_exists(PK)' } }],
    also,
  );
  if (!r.ok) throw new NotFoundError(`${what} not found.`);
}

// --- Reads ---------------------------------------------------------------------------------------

/** Which items a query reads: the base table or an index, the key condition and its values. */
export interface QuerySpec {
  index?: string;
  keyCondition: string;
  values: Item;
  names?: Record<string, string>;
  filter?: string;
  newestFirst?: boolean;
  /** Only these attributes (a ProjectionExpression). */
  projection?: string;
}

const queryInput = (q: QuerySpec): QueryCommandInput => ({
  TableName: tableName,
  ...(q.index ? { IndexName: q.index } : {}),
  KeyConditionExpression: q.keyCondition,
  ...(q.filter ? { FilterExpression: q.filter } : {}),
  ...(q.names ? { ExpressionAttributeNames: q.names } : {}),
  ExpressionAttributeValues: q.values,
  ...(q.newestFirst ? { ScanIndexForward: false } : {}),
  ...(q.projection ? { ProjectionExpression: q.projection } : {}),
});

/**
 * One page for a client: the cursor is checked against the tenant and the partition it must
 * continue (see cursor.ts) and the next one issued to the same tenant.
 */
export async function queryPage<T>(
  tenantId: string,
  q: QuerySpec & { partition: { name: string; value: string; skPrefix?: string } },
  page: { limit: number; cursor?: string },
  fromItem: (item: Item) => T,
): Promise<{ items: T[]; next_cursor: string | null }> {
  const out = await ddb.send(
    new QueryCommand({
      ...queryInput(q),
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(tenantId, page.cursor, q.partition),
    }),
  );
  return {
    items: (out.Items ?? []).map(fromItem),
    next_cursor: encodeCursor(tenantId, out.LastEvaluatedKey),
  };
}

/** One page of a tenant's items listed on the owner index (GSI1) under `pk` (its keys, its agent keys). */
export function queryOwnerPage<T>(
  tenantId: string,
  pk: string,
  page: { limit: number; cursor?: string },
  fromItem: (item: Item) => T,
): Promise<{ items: T[]; next_cursor: string | null }> {
  return queryPage(
    tenantId,
    {
      index: INDEXES.byOwner,
      keyCondition: 'GSI1PK = :pk',
      values: { ':pk': pk },
      partition: { name: 'GSI1PK', value: pk },
    },
    page,
    fromItem,
  );
}

/** The first `limit` items of a query (the sweepers' due queries), without a cursor. */
export async function queryFirst(q: QuerySpec, limit: number): Promise<Item[]> {
  const out = await ddb.send(new QueryCommand({ ...queryInput(q), Limit: limit }));
  return out.Items ?? [];
}

/**
 * A query's pages, in order, until it ends or the caller stops; `pageSize()` is asked before each
 * page (a caller reading up to a budget asks for what is left).
 */
export async function* queryPages(q: QuerySpec, pageSize?: () => number): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        ...queryInput(q),
        ...(pageSize ? { Limit: pageSize() } : {}),
        ExclusiveStartKey: start,
      }),
    );
    yield out.Items ?? [];
    start = out.LastEvaluatedKey;
  } while (start);
}

/** Every item of a query, page after page (for bounded sets only). */
export async function queryAll(q: QuerySpec): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(q)) items.push(...page);
  return items;
}

/** How many items a query matches, page after page. */
export async function queryCount(q: QuerySpec): Promise<number> {
  let n = 0;
  let start: Item | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({ ...queryInput(q), Select: 'COUNT', ExclusiveStartKey: start }),
    );
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return n;
}

/** One page of a tenant's items of one kind: `PK = <tenant>` and SK under a prefix. */
export function queryPrefix<T>(
  tenantId: string,
  k: { PK: string; SKPrefix: string },
  page: { limit: number; cursor?: string },
  fromItem: (item: Item) => T,
): Promise<{ items: T[]; next_cursor: string | null }> {
  return queryPage(
    tenantId,
    { ...prefixQuery(k), partition: { name: 'PK', value: k.PK, skPrefix: k.SKPrefix } },
    page,
    fromItem,
  );
}

/** A tenant's items of one kind: `PK = <tenant>` and SK under a prefix. */
export const prefixQuery = (k: { PK: string; SKPrefix: string }): QuerySpec => ({
  keyCondition: 'PK = :pk AND begins_with(SK, :sk)',
  values: { ':pk': k.PK, ':sk': k.SKPrefix },
});

// --- Attributes ----------------------------------------------------------------------------------

/** Null fields are left out of an item, so conditions and if_not_exists see them as absent. */
export function compact<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

type Default<V> = [V] extends [infer D] ? D | undefined : never;

/**
 * An entity's attributes, declared once, each with what an item that lacks it reads as: a value
 * (e.g. `null`, `[]`, `0`; absent and NULL read the same), or `undefined` for one the item always
 * has (or, if optional, leaves out). `fromItem` is the only mapping from an item to the record.
 */
export function entity<T extends object>(defaults: { [K in keyof Required<T>]: Default<T[K]> }) {
  const fields = Object.entries(defaults) as [string, unknown][];
  return {
    fields: fields.map(([f]) => f as keyof T),
    fromItem(item: Item): T {
      const out: Item = {};
      for (const [f, dflt] of fields) {
        const v = item[f] ?? (dflt === undefined ? undefined : structuredClone(dflt));
        if (v !== undefined) out[f] = v;
      }
      return out as T;
    },
  };
}
