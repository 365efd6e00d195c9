import { createHash, timingSafeEqual } from 'node:crypto';
import { auditCompanion } from '../audit/service.js';
import type { AuditContext } from '../audit/types.js';
import { config } from '../config.js';
import { ForbiddenError } from '../errors.js';
import { newId } from '../ids.js';
import { dataKeys } from '../keyring/index.js';
import { addDataKeyVersion, createTenant, type Tenant } from '../store/tenants.js';
import { makeApiKey } from './api-keys.js';

export interface Registration {
  tenant: Tenant;
  api_key: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The operator secret: from the environment locally, from Secrets Manager (cached 5 min) deployed. */
async function operatorSecret(): Promise<string | undefined> {
  if (config.REGISTRATION_SECRET) return config.REGISTRATION_SECRET;
  if (!config.REGISTRATION_SECRET_ARN) return undefined;
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  return (await getSecret(config.REGISTRATION_SECRET_ARN, { maxAge: 300 })) as string | undefined;
}

/** Registration is open, or closed except to a caller holding the operator's secret. */
export async function checkRegistrationAllowed(presentedSecret: string | undefined): Promise<void> {
  if (config.REGISTRATION === 'open') return;
  const expected = await operatorSecret();
  // Hash both sides so the comparison is constant-time whatever the lengths.
  if (!expected || !presentedSecret || !timingSafeEqual(digest(expected), digest(presentedSecret))) {
    throw new ForbiddenError('Registration is closed.');
  }
}

/** Creates a tenant with its data key and first admin key, atomically. */
export async function register(
  input: { email: string; name: string },
  secret: string | undefined,
  ctx: Omit<AuditContext, 'actor'>,
): Promise<Registration> {
  await checkRegistrationAllowed(secret);
  const now = new Date().toISOString();
  const tenant: Tenant = { id: newId('ten'), email: input.email, name: input.name, created_at: now };
  const ring = await dataKeys.createRing(tenant.id);
  const first = await makeApiKey(tenant.id, 'default', ['admin'], now);
  // The new tenant's first event: the registration that made it (and its first key).
  await createTenant(tenant, ring, first.record, [
    auditCompanion(tenant.id, { ...ctx, actor: { type: 'registration' } }, 'tenant.register', {
      type: 'tenant',
      id: tenant.id,
    }),
  ]);
  return { tenant, api_key: first.apiKey };
}

export interface DataKeyRotation {
  data_key_version: number;
  rotated_at: string;
}

/** Makes a new version of the tenant's data key current; old versions keep opening. */
export async function rotateDataKey(tenantId: string, ctx: AuditContext): Promise<DataKeyRotation> {
  const rotatedAt = new Date().toISOString();
  const version = await dataKeys.rotate(tenantId, (next) =>
    addDataKeyVersion(tenantId, next, rotatedAt, [
      auditCompanion(tenantId, ctx, 'data_key.rotate', { type: 'data_key', id: String(next.to) }),
    ]),
  );
  return { data_key_version: version, rotated_at: rotatedAt };
}
