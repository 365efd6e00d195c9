import { describe, expect, it } from 'vitest';
import { routeList } from '../../../functions/routes.js';
import { buildOpenApi } from '../../../lib/http/openapi.js';

// GET /v1/audit-events in the OpenAPI document: admin, its bounded filters, its derived errors.
// (Spectral lints the whole document in test/unit/http/openapi.test.ts.)

describe('GET /v1/audit-events in the OpenAPI document', () => {
  // biome-ignore lint/suspicious/noExplicitAny: OpenAPI JSON
  const doc = buildOpenApi(routeList, { title: 'Token Vault API', version: '0.1.0' }) as any;
  const op = doc.paths['/v1/audit-events']?.get;

  it('is there, with every filter bounded and the errors derived from its definition', () => {
    // Act
    const params = Object.fromEntries(
      op.parameters.map((p: { name: string; schema: unknown }) => [p.name, p.schema]),
    );

    // Assess
    expect(op.operationId).toBe('ListAuditEvents');
    expect(Object.keys(params).sort()).toEqual([
      'action',
      'actor_id',
      'cursor',
      'limit',
      'since',
      'target_id',
      'until',
    ]);
    expect(params.action.enum).toEqual(
      expect.arrayContaining(['token.read', 'data_key.retire', 'webhook.rotate_secret']),
    );
    for (const name of ['actor_id', 'target_id', 'since', 'until', 'cursor'])
      expect(params[name].maxLength).toBeGreaterThan(0);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '422', '429', '500']);
  });
});
