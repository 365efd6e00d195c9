import { dataKeyRotationSchema } from '../../lib/auth/schemas.js';
import { defineRoute, type VaultRouteDef } from '../defs.js';

// The tenant's own settings (its data key). Spread into functions/routes.ts.

export const tenantRoutes = {
  rotateDataKey: defineRoute({
    id: 'RotateDataKey',
    method: 'POST',
    path: '/v1/tenant/data-key/rotate',
    entry: 'functions/tenant/rotate-data-key.ts',
    summary: "Rotate the tenant's data key: new secrets are sealed with a new version, old ones still open",
    tag: 'tenant',
    scope: 'admin',
    audit: { action: 'data_key.rotate', target: 'tenant' },
    // Generates the new version; decrypts only to seal an Idempotency-Key record.
    access: { table: 'write', kms: ['generate', 'decrypt'] },
    responses: { 200: { description: 'Rotated', schema: dataKeyRotationSchema } },
    errors: [409],
  }),
} satisfies Record<string, VaultRouteDef>;
