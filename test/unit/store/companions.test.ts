import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { tableName } from '../../../lib/aws.js';
import { ConflictError, NotFoundError } from '../../../lib/errors.js';
import { type Companion, getConsistent } from '../../../lib/store/db.js';
import { eventCompanion } from '../../../lib/store/events.js';
import { keys } from '../../../lib/store/keys.js';
import {
  deleteToken,
  getToken,
  insertToken,
  replaceToken,
  type TokenRecord,
} from '../../../lib/store/tokens.js';
import {
  putWebhook,
  recordEndpointFailure,
  type WebhookRecord,
} from '../../../lib/store/webhook-endpoints.js';
import { type DdbCall, recordDdbCalls } from '../../helpers/ddb-calls.js';

// The companion API (lib/store/db.ts): every store write takes `also`, committed in the same
// transaction. Against DynamoDB Local: what is (and is not) in the table afterwards.

class Refused extends Error {}

const hex = () => randomBytes(8).toString('hex');
const at = '2030-01-01T00:00:00.000Z';

const token = (tenantId = `ten_${hex()}`): TokenRecord => ({
  id: `tok_${hex()}`,
  tenant_id: tenantId,
  provider: 'acme',
  key: `user-${hex()}`,
  token_type: 'bearer',
  scopes: [],
  metadata: {},
  access_token_enc: 'sealed',
  refresh_token_enc: null,
  expires_at: null,
  status: 'active',
  last_refreshed_at: null,
  last_error: null,
  refresh_failures: 0,
  refresh_due_at: null,
  created_at: at,
  updated_at: at,
  url_params: {},
  version: 1,
});

/** A marker item written as a companion: `PK = MARK#<id>`. */
const mark = (id: string, condition?: string): Companion => ({
  item: {
    Put: {
      TableName: tableName,
      Item: { PK: `MARK#${id}`, SK: 'MARK', type: 'mark' },
      ...(condition ? { ConditionExpression: condition } : {}),
    },
  },
});
const marked = async (id: string) => (await getConsistent({ PK: `MARK#${id}`, SK: 'MARK' })) !== undefined;

let calls: DdbCall[] = [];
afterEach(() => {
  calls.length = 0;
});

describe('store writes with companions (also)', () => {
  it('without companions a write is one plain call, not a transaction', async () => {
    // Prepare
    const t = token();
    await insertToken(t);
    calls = await recordDdbCalls();

    // Act
    await replaceToken({ ...t, version: 2 }, 1);

    // Assess
    expect(calls.map((c) => c.command)).toEqual(['PutItemCommand']);
  });

  it('commits the companions with the write: the token, its event and a marker together', async () => {
    // Prepare
    const t = token();
    const m = hex();
    const event = {
      id: `evt_${hex()}`,
      tenant_id: t.tenant_id,
      type: 'token.created' as const,
      timestamp: at,
      data: {},
    };

    // Act
    await insertToken(t, [eventCompanion(event), mark(m)]);

    // Assess
    expect(await getToken(t.tenant_id, t.id, true)).toEqual(t);
    expect(await getConsistent(keys.event(t.tenant_id, event.id))).toMatchObject({ event });
    expect(await marked(m)).toBe(true);
  });

  it("a companion's failed condition throws its failed() and writes nothing", async () => {
    // Prepare: the marker exists, so a companion conditional on its absence fails.
    const m = hex();
    await insertToken(token(), [mark(m)]);
    const t = token();

    // Act
    const err = await insertToken(t, [
      { ...mark(m, 'attribute_not_exists(PK)'), failed: () => new Refused('over the limit') },
    ]).catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(Refused);
    expect(await getToken(t.tenant_id, t.id, true)).toBeNull();
    expect(await getConsistent(keys.tokenClaim(t.tenant_id, t.provider, t.key))).toBeUndefined();
  });

  it('failed() may be async (it can read what it needs to explain the refusal)', async () => {
    // Prepare
    const m = hex();
    await insertToken(token(), [mark(m)]);

    // Act
    const err = await deleteToken(await insertAndGet(), [
      { ...mark(m, 'attribute_not_exists(PK)'), failed: async () => new ConflictError('taken') },
    ]).catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(ConflictError);
  });

  it("the write's own failure keeps its meaning with companions, and the companions are not written", async () => {
    // Prepare
    const t = token();
    const m = hex();

    // Act
    const err = await deleteToken(t, [mark(m)]).catch((e) => e);

    // Assess
    expect(err).toBeInstanceOf(NotFoundError);
    expect(await marked(m)).toBe(false);
  });

  it('a write that returns the new state returns it in a transaction too (re-read)', async () => {
    // Prepare
    const tenant = `ten_${hex()}`;
    const w: WebhookRecord = {
      id: `wh_${hex()}`,
      tenant_id: tenant,
      url: 'https://example.com/hook',
      events: ['token.created'],
      description: null,
      status: 'active',
      disabled_reason: null,
      disabled_at: null,
      secret_enc: 'sealed',
      previous_secret_enc: null,
      previous_secret_expires_at: null,
      consecutive_failures: 0,
      first_failure_at: null,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    expect(await putWebhook(w, 10)).toBe(true);
    const m = hex();

    // Act
    const plain = await recordEndpointFailure(tenant, w.id, at);
    const withCompanion = await recordEndpointFailure(tenant, w.id, at, [mark(m)]);

    // Assess
    expect(plain?.consecutive_failures).toBe(1);
    expect(withCompanion?.consecutive_failures).toBe(2);
    expect(await marked(m)).toBe(true);
  });
});

async function insertAndGet(): Promise<TokenRecord> {
  const t = token();
  await insertToken(t);
  return t;
}
