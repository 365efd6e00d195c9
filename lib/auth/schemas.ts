import * as z from 'zod';
import { isoTime, listOf } from '../schemas.js';
import { SCOPES } from './scopes.js';

export const scopeSchema = z.enum(SCOPES);

export const registerBody = z
  .strictObject({
    email: z.email().max(254),
    name: z.string().trim().min(1).max(200),
  })
  .meta({ id: 'RegisterRequest' });

export const tenantSchema = z
  .object({ id: z.string(), email: z.string(), name: z.string(), created_at: isoTime })
  .meta({ id: 'Tenant' });

export const registerResponse = z
  .object({
    tenant: tenantSchema,
    api_key: z.string().describe('An admin API key. Shown once: store it now.'),
  })
  .meta({ id: 'RegisterResponse' });

export const createApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(scopeSchema).min(1).max(SCOPES.length),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(scopeSchema),
    prefix: z.string().describe('The public start of the key, to recognise it.'),
    created_at: isoTime,
    last_used_at: isoTime.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = apiKeySchema
  .extend({ api_key: z.string().describe('The full key. Shown once: store it now.') })
  .meta({ id: 'CreatedApiKey' });

export const apiKeyList = listOf(apiKeySchema).meta({ id: 'ApiKeyList' });

export const dataKeyRotationSchema = z
  .object({
    data_key_version: z
      .number()
      .int()
      .positive()
      .describe('The new current version; new secrets are sealed with it.'),
    rotated_at: isoTime,
  })
  .meta({ id: 'DataKeyRotation' });
