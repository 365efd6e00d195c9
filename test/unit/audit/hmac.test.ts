import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';

// The audit HMAC against DynamoDB Local and the local master key: stable per tenant, distinct
// across tenants, and its key stored only wrapped.

describe('auditHmac', () => {
  it('is stable for a tenant, differs across tenants, and never stores the key in the clear', async () => {
    // Prepare
    const { auditHmac } = await import('../../../lib/audit/hmac.js');
    const { ddb, tableName } = await import('../../../lib/aws.js');
    const a = `t_hmac_a_${Date.now()}`;
    const b = `t_hmac_b_${Date.now()}`;

    // Act
    const [a1, a2, b1] = await Promise.all([
      auditHmac(a, 'idem-key-1'),
      auditHmac(a, 'idem-key-1'),
      auditHmac(b, 'idem-key-1'),
    ]);
    const other = await auditHmac(a, 'idem-key-2');
    const stored = await ddb.send(
      new GetCommand({ TableName: tableName, Key: { PK: `TENANT#${a}`, SK: 'AUDITKEY' } }),
    );

    // Assess
    expect(a1).toMatch(/^hmac-sha256:[A-Za-z0-9_-]{43}$/);
    expect(a2).toBe(a1);
    expect(b1).not.toBe(a1);
    expect(other).not.toBe(a1);
    expect(Object.keys(stored.Item ?? {}).sort()).toEqual(['PK', 'SK', 'type', 'wrapped']);
    expect(JSON.stringify(stored.Item)).not.toContain('idem-key');
  });
});
