import type * as z from 'zod';
import type { Scope } from '../auth/scopes.js';

/** `ANY`: every method, one function (the proxy). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

/** What a route's function may touch; the CDK stack derives each function's IAM policy from it. */
export interface Access {
  /** DynamoDB: none, read (Get/Query), or write (read + Put/Update/Delete/Transact). */
  table: 'none' | 'read' | 'write';
  /** KMS: `decrypt` unwraps tenants' data keys; `generate` makes new ones (registration). */
  kms: ('decrypt' | 'generate')[];
  /** Calls OAuth providers' token endpoints (outbound HTTPS). */
  outbound?: boolean;
  /** Sends to the webhook queue. */
  queue?: boolean;
  /** Invokes these functions (job ids with trigger `invoke`), synchronously. */
  invoke?: string[];
  /** Calls Stripe (billing): reads the Stripe secrets when billing is configured. */
  stripe?: boolean;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteDef<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  P extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** Unique, PascalCase: names the Lambda function and the OpenAPI operation. */
  id: string;
  method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/tokens/{id}`; `{name+}` (last) takes the rest of the path. */
  path: string;
  /** Handler file, relative to the project root; it exports `handler`. */
  entry: string;
  summary: string;
  tag: string;
  /** Required API key scope; null for public routes. */
  scope: Scope | null;
  access: Access;
  body?: B;
  query?: Q;
  params?: P;
  /** Success responses by status. Error responses (problem+json) are added from `errors`. */
  responses: Record<number, ResponseSpec>;
  /**
   * Error statuses only the route knows (409, 502, 503, ...). The rest (401/403 for a scope, 400/413/415/422
   * for a body, 404 for a path id, 429, 500) are derived from the definition: see errorStatuses().
   */
  errors?: number[];
  /**
   * A shared secret in a header, checked by the route instead of an API key (the operator's
   * registration secret); `optional` when the route also answers without it. Documented as a
   * security scheme.
   */
  secretHeader?: { name: string; description: string; optional?: boolean; in?: 'header' | 'cookie' };
  /** Request headers the route reads, documented in OpenAPI. */
  headers?: Record<string, string>;
  /** The Content-Security-Policy of an HTML route (see lib/http/security-headers.ts). */
  csp?: Record<string, string>;
  /**
   * Files (relative to the project root) the handler serves: copied next to the function's bundle
   * when deployed, read from the project locally (lib/http/assets.ts).
   */
  assets?: string[];
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteInput<D extends RouteDef> {
  body: Out<D['body']>;
  query: Out<D['query']>;
  params: Out<D['params']>;
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A function that is not an HTTP route: run on a schedule or fed by the webhook queue. */
export interface JobDef {
  id: string;
  entry: string;
  summary: string;
  access: Access;
  /**
   * `schedule`: EventBridge deployed, a timer in-process locally. `queue`: consumes the webhook
   * queue. `invoke`: called by another function that lists it in `access.invoke` (Lambda Invoke
   * deployed, a direct call in-process locally).
   */
  trigger: 'schedule' | 'queue' | 'invoke';
  /** For schedule jobs: the period; absent means REFRESH_INTERVAL_SECONDS. */
  everySeconds?: number;
  timeoutSeconds: number;
}

/** Declares a route, keeping its literal types (scope, schemas) for the handler's typed input. */
export const defineRoute = <const D extends RouteDef>(d: D) => d;
