import type { RouteDef } from './types.js';

// Which routes take an `Idempotency-Key`, kept free of AWS imports so the OpenAPI document can use it.

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** A key and the first response it got are kept (and replayed) this long. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** Every authenticated write; registration has no tenant to scope the key to. */
export const takesIdempotencyKey = (def: RouteDef): boolean => def.scope !== null && def.method !== 'GET';

export const IDEMPOTENCY_DESCRIPTION =
  'Makes a retry safe: for 24 hours, the same key with the same request replays the first ' +
  'response (marked `Idempotency-Replayed: true`); the same key with another request is a 422; ' +
  'a duplicate while the first is still running is a 409. 1 to 255 characters, per tenant. ' +
  'A 4xx is kept and replayed like a success; after a 5xx the key is released and a retry runs again.';
