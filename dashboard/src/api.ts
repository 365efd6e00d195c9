// The dashboard's API client. The session is an HttpOnly cookie the browser sends by itself (to
// this origin only); the page never sees or stores a credential. URLs are relative to /dashboard,
// so they resolve to the vault's /v1 under any stage prefix.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Called when the session is gone (expired, signed out elsewhere, key revoked). */
let onSignedOut: () => void = () => {};
export const setSignedOutHandler = (fn: () => void) => {
  onSignedOut = fn;
};

// biome-ignore lint/suspicious/noExplicitAny: bodies are typed by the callers (from the route schemas)
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path.replace(/^\//, ''), {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401 && path !== '/v1/dashboard/session') onSignedOut();
    const detail = data?.errors?.length
      ? data.errors.map((e: { path: string; message: string }) => `${e.path}: ${e.message}`).join('; ')
      : (data?.detail ?? data?.title ?? `HTTP ${res.status}`);
    throw new ApiError(res.status, detail);
  }
  return data as T;
}

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
