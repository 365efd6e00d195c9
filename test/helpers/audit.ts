import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { Api } from './api.js';

// Shared by the audit tests: the tenant's raw trail, read straight from the table, and a stored
// token whose secrets are plaintexts the tests then look for in that trail.

// biome-ignore lint/suspicious/noExplicitAny: raw DynamoDB items, read field by field in assertions
export type AuditItem = Record<string, any>;

/**
 * Every raw audit item of a tenant in its partitions of this month and the `months - 1` before it,
 * oldest first. lib/aws is imported at call time, after test/setup/env.ts set the environment.
 */
export async function auditItems(tenantId: string, months = 2): Promise<AuditItem[]> {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const out: AuditItem[] = [];
  const d = new Date();
  for (let i = months - 1; i >= 0; i--) {
    const month = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1)).toISOString().slice(0, 7);
    const res = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#AUDIT#${month}` },
      }),
    );
    out.push(...(res.Items ?? []));
  }
  return out;
}

/** The secrets every token stored by `storeToken` carries. */
export const TOKEN_SECRETS = ['ya29.SECRET-ACCESS-abc', '1//SECRET-REFRESH-xyz'];

/** Stores a token (a fresh key under `google` unless `extra` says otherwise); expects the 201. */
export async function storeToken(api: Api, key: string, extra: Record<string, unknown> = {}) {
  const res = await api.call('POST', '/v1/tokens', {
    key,
    body: {
      provider: 'google',
      key: `user-${Math.random().toString(36).slice(2)}`,
      access_token: TOKEN_SECRETS[0],
      refresh_token: TOKEN_SECRETS[1],
      expires_in: 3600,
      ...extra,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res;
}
