import type { z } from 'zod';
import type { Scope } from '../auth/scopes.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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
  /** API Gateway path template, e.g. `/v1/tokens/{id}`. */
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
  /** Error statuses this route can answer with, besides 500. */
  errors?: number[];
  /** Request headers the route reads, documented in OpenAPI. */
  headers?: Record<string, string>;
  /** Relaxes the Content-Security-Policy, for the HTML docs page only. */
  csp?: Record<string, string>;
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
  /** `schedule`: EventBridge deployed, a timer in-process locally. `queue`: consumes the webhook queue. */
  trigger: 'schedule' | 'queue';
  /** For schedule jobs: the period; absent means REFRESH_INTERVAL_SECONDS. */
  everySeconds?: number;
  timeoutSeconds: number;
}

/** Declares a route, keeping its literal types (scope, schemas) for the handler's typed input. */
export const defineRoute = <const D extends RouteDef>(d: D) => d;
