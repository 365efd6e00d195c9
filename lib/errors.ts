// One error hierarchy. Every error a client may see is an HttpError; it renders itself as an
// RFC 9457 problem document. Anything else is logged and becomes a bare 500 with a request id.

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  request_id?: string;
}

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  abstract readonly title: string;
  readonly headers: Record<string, string> = {};

  constructor(detail?: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = new.target.name;
  }

  /** `about:blank` (RFC 9457 §4.2.1): the status says it all; subclasses with a more specific meaning override. */
  readonly type: string = 'about:blank';

  toProblem(): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.statusCode,
      ...(this.message ? { detail: this.message } : {}),
    };
  }
}

export class BadRequestError extends HttpError {
  readonly statusCode = 400;
  readonly title = 'Bad Request';
}

export class UnauthorizedError extends HttpError {
  readonly statusCode = 401;
  readonly title = 'Unauthorized';
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
  /** The reason stays in `cause` for the log; the client always sees the same generic detail. */
  constructor(reason?: string) {
    super('A valid API key is required.', { cause: reason });
  }
}

export class ForbiddenError extends HttpError {
  readonly statusCode = 403;
  readonly title = 'Forbidden';
}

export class NotFoundError extends HttpError {
  readonly statusCode = 404;
  readonly title = 'Not Found';
}

export class ConflictError extends HttpError {
  readonly statusCode = 409;
  readonly title = 'Conflict';
}

export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
  readonly title = 'Payload Too Large';
}

export class UnsupportedMediaTypeError extends HttpError {
  readonly statusCode = 415;
  readonly title = 'Unsupported Media Type';
}

export class ValidationError extends HttpError {
  readonly statusCode = 422;
  readonly title = 'Unprocessable Content';
  constructor(
    readonly errors: FieldError[],
    detail = 'The request does not match the schema.',
  ) {
    super(detail);
  }
  override toProblem(): Problem {
    return { ...super.toProblem(), errors: this.errors };
  }
}

/** Billing: over a plan limit, or read-only after the payment grace period (402, with the numbers). */
export class PaymentRequiredError extends HttpError {
  readonly statusCode = 402;
  readonly title = 'Payment Required';
  constructor(
    detail: string,
    readonly extra: {
      plan: string;
      limit: string;
      limit_value: number | null;
      usage: number;
      upgrade: string;
    },
  ) {
    super(detail);
  }
  override toProblem(): Problem {
    return { ...super.toProblem(), ...this.extra };
  }
}

/** The upstream OAuth provider failed (network, 5xx, malformed response). */
export class BadGatewayError extends HttpError {
  readonly statusCode = 502;
  readonly title = 'Bad Gateway';
}

export class TooManyRequestsError extends HttpError {
  readonly statusCode = 429;
  readonly title = 'Too Many Requests';
}

export class ServiceUnavailableError extends HttpError {
  readonly statusCode = 503;
  readonly title = 'Service Unavailable';
}

export function internalProblem(requestId: string): Problem {
  return {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    request_id: requestId,
  };
}
