import { createHash } from 'node:crypto';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { BadRequestError, ConflictError, ValidationError } from '../errors.js';
import { dataKeys } from '../keyring/index.js';
import { logger } from '../observability.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../store/idempotency.js';
import {
  IDEMPOTENCY_HEADER,
  IDEMPOTENCY_TTL_SECONDS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from './idempotency-key.js';
import type { VaultEvent } from './middleware.js';
import type { HttpResult } from './types.js';

// `Idempotency-Key` for every authenticated write. Not Powertools' idempotency utility: its
// DynamoDB layer builds its own keys (not lib/store/keys.ts, not per tenant) and stores the
// response in plaintext, and its middleware keys on the event, not on a header scoped by the
// caller's tenant; a custom persistence layer plus sealing would outgrow this file.
//
// Claim first (conditional put), run, then complete the claim with the sealed response. A crash
// in between leaves the claim in progress: retries get 409, never a second write.

/** A claim older than this belongs to a request that died (routes time out within 30 s). */
const STALE_CLAIM_MS = 60_000;

/** The first request is still running: come back in a second (clients retry on Retry-After). */
class InProgressError extends ConflictError {
  override readonly headers = { 'Retry-After': '1' };
}

type Request = middy.Request<VaultEvent, HttpResult, Error, Context>;

interface Claim {
  tenantId: string;
  keyHash: string;
  fingerprint: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
/** The table never holds the key itself, and its length stays fixed. */
export const hashKey = (key: string) => sha256(key);
/** What "the same request" means: method, path and the body's exact bytes. */
export const fingerprint = (method: string, path: string, body: string) =>
  sha256(`${method} ${path}\n${body}`);
const sealRef = (c: Claim) => ({
  tenantId: c.tenantId,
  record: `idempotency#${c.keyHash}`,
  field: 'response',
});
/** Headers of the first response worth replaying; the rest (CORS, security, request id) are per request. */
const KEPT_HEADERS = ['Content-Type', 'Location', 'Cache-Control'];

/**
 * Two middlewares sharing the claims of one route: `claim` runs after authentication and
 * validation; `complete` is registered before the problem middleware, so that it sees the final
 * response, a problem included. A response below 500 is kept and replayed (Stripe's rule: a retry
 * gets the same answer, a 4xx too); a 5xx or a crash releases the key, and a retry runs again.
 */
export function idempotency(): {
  claim: middy.MiddlewareObj<VaultEvent, HttpResult>;
  complete: middy.MiddlewareObj<VaultEvent, HttpResult>;
} {
  const claims = new WeakMap<VaultEvent, Claim>();

  const before = async (request: Request) => {
    const { event } = request;
    const key = event.headers?.[IDEMPOTENCY_HEADER];
    const auth = event.vault.auth;
    if (key === undefined || !auth) return;
    if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new BadRequestError(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
    }
    const body = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    const claim: Claim = {
      tenantId: auth.tenantId,
      keyHash: hashKey(key),
      fingerprint: fingerprint(event.requestContext.http.method, event.rawPath, body),
    };
    const result = await claimIdempotencyKey(
      claim.tenantId,
      claim.keyHash,
      claim.fingerprint,
      IDEMPOTENCY_TTL_SECONDS,
    );
    if (result.claimed) {
      claims.set(event, claim);
      return;
    }
    const { record } = result;
    if (record.fingerprint !== claim.fingerprint) {
      throw new ValidationError(
        [{ path: 'header.idempotency-key', message: 'Already used with another request.' }],
        'This Idempotency-Key was used with a different request.',
      );
    }
    if (record.status !== 'completed' || !record.response_enc) {
      const stale = Date.now() - Date.parse(record.created_at) > STALE_CLAIM_MS;
      if (stale) {
        throw new ConflictError(
          'The first request with this Idempotency-Key did not finish; its outcome is unknown. Check, then use a new key.',
        );
      }
      throw new InProgressError('A request with this Idempotency-Key is still in progress.');
    }
    const replay = JSON.parse(await dataKeys.decrypt(sealRef(claim), record.response_enc)) as HttpResult;
    event.vault.replay = { ...replay, headers: { ...replay.headers, 'Idempotency-Replayed': 'true' } };
  };

  const complete = async (request: Request) => {
    const claim = claims.get(request.event);
    if (!claim) return;
    claims.delete(request.event);
    const response = request.response;
    if (!response || response.statusCode >= 500) return release(claim);
    const headers = Object.fromEntries(
      KEPT_HEADERS.flatMap((h) => (response.headers?.[h] !== undefined ? [[h, response.headers[h]]] : [])),
    );
    const kept: HttpResult = { statusCode: response.statusCode, headers, body: response.body };
    try {
      const sealed = await dataKeys.encrypt(sealRef(claim), JSON.stringify(kept));
      await completeIdempotencyKey(claim.tenantId, claim.keyHash, claim.fingerprint, sealed);
    } catch (err) {
      // The write happened: answer it. The claim stays in progress, so a retry gets 409, not a second write.
      logger.error('Could not record the idempotent response', { error: (err as Error).name });
    }
  };

  const release = async (claim: Claim) => {
    await releaseIdempotencyKey(claim.tenantId, claim.keyHash, claim.fingerprint).catch((err: unknown) => {
      logger.error('Could not release an idempotency key', { error: (err as Error).name });
    });
  };

  return { claim: { before }, complete: { after: complete, onError: complete } };
}
