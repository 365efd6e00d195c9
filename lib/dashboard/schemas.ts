import * as z from 'zod';
import { scopeSchema } from '../auth/schemas.js';
import { isoTime } from '../schemas.js';

export const signInBody = z
  .strictObject({ api_key: z.string().min(1).max(200).describe('An API key with the admin scope.') })
  .meta({ id: 'DashboardSignInRequest' });

export const sessionIdentity = z
  .object({ tenant_id: z.string(), key_id: z.string(), scopes: z.array(scopeSchema) })
  .meta({ id: 'DashboardIdentity', description: 'Who the caller is: the tenant and the API key behind it.' });

export const dashboardSession = sessionIdentity
  .extend({ expires_at: isoTime.describe('Absolute expiry; an idle session ends sooner.') })
  .meta({ id: 'DashboardSession' });

export const assetParams = z.strictObject({ file: z.string().min(1).max(64) });

export type SessionIdentity = z.output<typeof sessionIdentity>;
