import type * as z from 'zod';
import type { AuditAction, AuditTargetType } from '../audit/types.js';
import type { Scope } from '../auth/scopes.js';

/** `ANY`: every method, one function (the proxy). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

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
  /**
   * What the route does, for the audit trail: a 403 for a missing scope and a 404 on another
   * tenant's `{id}` are recorded as this action on this kind of target (lib/http/audit.ts).
   */
  audit?: { action: AuditAction; target: AuditTargetType };
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

declare const bodyType: unique symbol;

/**
 * A response whose status and body type the compiler knows (lib/http/responses.ts builds them):
 * route() accepts from a handler only the success statuses its definition declares, each with a
 * body of its schema's type.
 */
export interface Reply<S extends number = number, B = unknown> extends HttpResult {
  statusCode: S;
  /** Type only: the body before it was serialized. */
  readonly [bodyType]?: B;
}

/** A body is only serialized: read-only values (the provider catalog) are as good as mutable ones. */
type Frozen<T> = T extends readonly (infer E)[]
  ? readonly Frozen<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;
type BodyOf<R> = R extends { schema: infer Z extends z.ZodType } ? Frozen<z.input<Z>> : unknown;
type SuccessStatus<D extends RouteDef> = keyof D['responses'] & number;

/** What a route's handler may return: one of its declared success responses. */
export type SuccessOf<D extends RouteDef> = {
  [S in SuccessStatus<D>]: Reply<S, BodyOf<D['responses'][S]>>;
}[SuccessStatus<D>];

/** Declares a route, keeping its literal types (scope, schemas) for the handler's typed input (the vault's
 * routes use functions/defs.ts's, which adds what the function may touch). */
export const defineRoute = <const D extends RouteDef>(d: D) => d;
