import { ConnectionError, errorFor, type ProblemBody } from './errors.js';

// The whole transport: fetch, JSON, retries. Retried: network errors, timeouts, 429, 5xx, and a 409
// that says when to come back (an Idempotency-Key still in flight). Every write carries an
// Idempotency-Key made once per call, so a retry never writes twice.

export interface ClientOptions {
  /** An API key, `vk_live_...`. */
  apiKey: string;
  /** The vault's base URL, e.g. `https://vault.example.com` or `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** Per attempt, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** First backoff delay in milliseconds, doubled per retry, with jitter (default 500). */
  retryBaseDelayMs?: number;
  /** Longest wait between attempts, also caps `Retry-After` (default 20 000). */
  maxRetryDelayMs?: number;
  /** Another fetch (tests, proxies, custom agents). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  /** For writes: your own key instead of a generated one (reuse it to retry later, safely). */
  idempotencyKey?: string;
  signal?: AbortSignal;
  maxRetries?: number;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export class HttpClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;

  constructor(options: Omit<ClientOptions, 'apiKey'> & { apiKey?: string }) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.baseDelay = options.retryBaseDelayMs ?? 500;
    this.maxDelay = options.maxRetryDelayMs ?? 20_000;
  }

  async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    init: { query?: Query; body?: unknown; headers?: Record<string, string> } & RequestOptions = {},
  ): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(init.query ?? {})) {
      if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    // One key per call, the same on every retry of it.
    if (method !== 'GET') headers['idempotency-key'] = init.idempotencyKey ?? crypto.randomUUID();
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const retries = init.maxRetries ?? this.maxRetries;

    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        res = await this.fetch(url, { method, headers, body, signal });
      } catch (err) {
        if (init.signal?.aborted) throw err;
        if (attempt < retries) {
          await sleep(this.backoff(attempt), init.signal);
          continue;
        }
        throw new ConnectionError(`${method} ${url.pathname} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }

      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      const retryable =
        res.status === 429 || res.status >= 500 || (res.status === 409 && retryAfter !== undefined);
      if (retryable && attempt < retries) {
        await res.body?.cancel();
        const wait = retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt);
        await sleep(Math.min(wait, this.maxDelay), init.signal);
        continue;
      }

      const text = await res.text();
      const requestId = res.headers.get('x-request-id') ?? undefined;
      if (!res.ok) {
        let problem: ProblemBody = {};
        try {
          problem = text ? (JSON.parse(text) as ProblemBody) : {};
        } catch {
          problem = { detail: text.slice(0, 200) };
        }
        throw errorFor(res.status, problem, requestId, retryAfter);
      }
      return (text ? JSON.parse(text) : undefined) as T;
    }
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.maxDelay, this.baseDelay * 2 ** attempt);
    // Full jitter on the upper half, so clients that failed together do not retry together.
    return exp / 2 + Math.random() * (exp / 2);
  }
}

/** Seconds, from delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
