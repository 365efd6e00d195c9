import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalServer } from '../../local/server.js';

// A real local server (the route table's handlers over HTTP) on a free port, against the test
// run's DynamoDB Local, and a small client for it.

// biome-ignore lint/suspicious/noExplicitAny: tests assert on response bodies of every shape
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface Api {
  url: string;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  call<T = any>(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  register(name?: string): Promise<{ tenantId: string; key: string }>;
  close(): Promise<void>;
}

let seq = 0;
export const uniqueEmail = (label = 'user') => `${label}-${process.pid}-${Date.now()}-${seq++}@example.com`;

export async function startApi(options: { jobs?: boolean } = {}): Promise<Api> {
  const { startLocalServer } = await import('../../local/server.js');
  const server: LocalServer = await startLocalServer({ port: 0, jobs: options.jobs ?? false });

  const call: Api['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${server.url}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as never, text };
  };

  return {
    url: server.url,
    call,
    async register(name = 'Acme') {
      const res = await call('POST', '/v1/auth/register', { body: { email: uniqueEmail(), name } });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
      return { tenantId: res.body.tenant.id, key: res.body.api_key };
    },
    close: () => server.close(),
  };
}

/** Every item in a tenant's partition and its GSI1 partitions, straight from the table. */
export async function tenantItems(tenantId: string): Promise<Record<string, unknown>[]> {
  const { ddb, tableName } = await import('../../lib/aws.js');
  const out = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
    }),
  );
  return out.Items ?? [];
}
