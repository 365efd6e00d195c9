import * as z from 'zod';
import { boundedRecord, int32, isoTime, listOf, pageQuery } from '../schemas.js';

export const providerId = z
  .string()
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, ".", "_" or "-", at most 64');
const secret = z.string().min(1).max(16_384);
const TEN_YEARS = 10 * 365 * 86_400;
const expiresIn = int32(z.number().int().positive().max(TEN_YEARS)).describe('Seconds from now.');

// Metadata is JSON bounded in depth (three levels below the top), entries and string length, so a body can
// neither nest deep enough to hurt a parser nor hold one huge value.
const metaKey = z.string().max(128);
const metaScalar = z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]);
const metaLevel = (inner: z.ZodType) =>
  z.union([metaScalar, z.array(inner).max(50), boundedRecord(metaKey, inner, 50)]);
const metadata = boundedRecord(metaKey, metaLevel(metaLevel(metaLevel(metaScalar))), 50).describe(
  'Free-form JSON object for your own bookkeeping (not secret, not encrypted): up to 50 keys of 128 characters, values objects or arrays nested up to three deep (50 entries each), strings up to 1024 characters.',
);

export const tokenStatus = z.enum(['active', 'needs_reauth', 'refresh_failed']);

const oneExpiry = (v: { expires_in?: unknown; expires_at?: unknown }) =>
  v.expires_in === undefined || v.expires_at === undefined;
const oneExpiryIssue = { message: 'Give expires_in or expires_at, not both.', path: ['expires_at'] };

export const createTokenBody = z
  .strictObject({
    key: z.string().min(1).max(256).describe('Your identifier for whose token this is, e.g. a user id.'),
    provider: providerId,
    access_token: secret,
    refresh_token: secret.optional(),
    expires_in: expiresIn.optional(),
    expires_at: isoTime.optional(),
    token_type: z.string().min(1).max(40).default('Bearer'),
    scopes: z.array(z.string().min(1).max(512)).max(200).default([]),
    metadata: metadata.default({}),
  })
  .refine(oneExpiry, oneExpiryIssue)
  .meta({ id: 'CreateTokenRequest' });

export const updateTokenBody = z
  .strictObject({
    access_token: secret.optional(),
    refresh_token: secret.nullable().optional().describe('null removes the refresh token.'),
    expires_in: expiresIn.optional(),
    expires_at: isoTime.nullable().optional().describe('null: the token does not expire.'),
    token_type: z.string().min(1).max(40).optional(),
    scopes: z.array(z.string().min(1).max(512)).max(200).optional(),
    metadata: metadata.optional(),
  })
  .refine(oneExpiry, oneExpiryIssue)
  .refine((v) => Object.keys(v).length > 0, { message: 'Give at least one field to change.' })
  .meta({ id: 'UpdateTokenRequest' });

export const listTokensQuery = z.strictObject({
  provider: providerId.optional(),
  key: z.string().min(1).max(256).optional(),
  ...pageQuery,
});

export const tokenSchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    key: z.string(),
    token_type: z.string(),
    scopes: z.array(z.string()),
    metadata: z.record(z.string(), z.json()),
    expires_at: isoTime.nullable(),
    has_refresh_token: z.boolean(),
    status: tokenStatus,
    last_refreshed_at: isoTime.nullable(),
    last_error: z.object({ code: z.string(), message: z.string(), at: isoTime }).nullable(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'Token', description: "A token's metadata; never its secrets." });

export const tokenWithSecretsSchema = tokenSchema
  .extend({ access_token: z.string(), refresh_token: z.string().nullable() })
  .meta({ id: 'TokenWithSecrets' });

export const refreshedTokenSchema = tokenSchema
  .extend({ access_token: z.string().optional(), refresh_token: z.string().nullable().optional() })
  .meta({
    id: 'RefreshedToken',
    description:
      'The token after a refresh; `access_token` and `refresh_token` only for a key that may read secrets.',
  });

export const tokenList = listOf(tokenSchema).meta({ id: 'TokenList' });

export type CreateTokenInput = z.infer<typeof createTokenBody>;
export type UpdateTokenInput = z.infer<typeof updateTokenBody>;
export type TokenView = z.infer<typeof tokenSchema>;
export type TokenWithSecrets = z.infer<typeof tokenWithSecretsSchema>;
