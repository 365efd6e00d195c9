// Typed errors carrying the vault's problem+json (RFC 9457) body.

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
  request_id?: string;
}

export class VaultError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  /** The `X-Request-Id` of the failed request: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  readonly problem: ProblemBody;

  constructor(status: number, problem: ProblemBody, requestId?: string) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = new.target.name;
    this.status = status;
    this.problem = problem;
    this.title = problem.title ?? `HTTP ${status}`;
    this.detail = problem.detail;
    this.type = problem.type ?? 'about:blank';
    this.requestId = problem.request_id ?? requestId;
  }
}

/** 401: missing, unknown or revoked API key. */
export class AuthenticationError extends VaultError {}
/** 403: the key lacks the scope. */
export class PermissionError extends VaultError {}
/** 404: not found (or another tenant's). */
export class NotFoundError extends VaultError {}
/** 409: a conflict (a duplicate, a concurrent change, an Idempotency-Key still in progress). */
export class ConflictError extends VaultError {}
/** 400 and 422: the request is malformed or does not match the schema; `errors` names the fields. */
export class ValidationError extends VaultError {
  readonly errors: FieldError[];
  constructor(status: number, problem: ProblemBody, requestId?: string) {
    super(status, problem, requestId);
    this.errors = problem.errors ?? [];
  }
}
/** 429: slow down; `retryAfter` is in seconds, when the server said. */
export class RateLimitError extends VaultError {
  readonly retryAfter: number | undefined;
  constructor(status: number, problem: ProblemBody, requestId?: string, retryAfter?: number) {
    super(status, problem, requestId);
    this.retryAfter = retryAfter;
  }
}
/** No HTTP answer at all (network error, timeout), after the retries. `status` is 0. */
export class ConnectionError extends VaultError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(0, { title: 'Connection error', detail: message });
    if (options?.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause });
  }
}

export function errorFor(status: number, problem: ProblemBody, requestId?: string, retryAfter?: number) {
  switch (status) {
    case 400:
    case 422:
      return new ValidationError(status, problem, requestId);
    case 401:
      return new AuthenticationError(status, problem, requestId);
    case 403:
      return new PermissionError(status, problem, requestId);
    case 404:
      return new NotFoundError(status, problem, requestId);
    case 409:
      return new ConflictError(status, problem, requestId);
    case 429:
      return new RateLimitError(status, problem, requestId, retryAfter);
    default:
      return new VaultError(status, problem, requestId);
  }
}
