import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { VaultEvent } from './middleware.js';
import type { HttpResult } from './types.js';

// `X-Request-Id` on every response, success or problem: the id problem bodies carry as
// `request_id` and the logs carry as the Lambda request id, so a report can be matched to a log line.

type Request = middy.Request<VaultEvent, HttpResult, Error, Context>;

export const requestIdOf = (request: Request): string =>
  request.context?.awsRequestId ?? request.event?.requestContext?.requestId ?? 'unknown';

export function requestId(): middy.MiddlewareObj<VaultEvent, HttpResult> {
  const stamp = async (request: Request) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, 'X-Request-Id': requestIdOf(request) };
  };
  // Kept on the event for every route, so audit events carry the id the response does (lib/http/audit-context.ts).
  const keep = async (request: Request) => {
    request.event.vault ??= {} as VaultEvent['vault'];
    request.event.vault.requestId = requestIdOf(request);
  };
  return { before: keep, after: stamp, onError: stamp };
}
