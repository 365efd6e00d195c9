import { BadRequestError } from '../errors.js';

// A proxied path is appended to the provider's API base URL; it must not be able to leave it.

/**
 * Checks the raw (still percent-encoded) path: starts with `/`; no dot segments, empty segments,
 * backslashes, control characters; no encoded `/`, `\`, `.` or NUL (so decoding later cannot make
 * a separator or a dot segment); valid percent-encoding. Returns it unchanged.
 */
export function checkProxyPath(raw: string): string {
  const refuse = (why: string) => new BadRequestError(`The proxied path is refused: ${why}.`);
  if (!raw.startsWith('/')) throw refuse('it must start with /');
  if (raw.length > 4096) throw refuse('it is too long');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\\\u0000-\u001f\u007f#?]/.test(raw)) throw refuse('it contains a forbidden character');
  if (/%(2f|5c|2e|00)/i.test(raw)) throw refuse('it contains an encoded separator or dot');
  const segments = raw.slice(1).split('/');
  if (segments.some((s, i) => s === '.' || s === '..' || (s === '' && i < segments.length - 1)))
    throw refuse('it contains a dot or empty segment');
  try {
    decodeURIComponent(raw);
  } catch {
    throw refuse('it is not valid percent-encoding');
  }
  return raw;
}

/** Joins the base URL and the checked path, and verifies the result is still under the base. */
export function joinUnderBase(base: string, path: string, query: string): URL {
  const b = new URL(base);
  const basePath = b.pathname.replace(/\/+$/, '');
  const url = new URL(`${b.origin}${basePath}${path}${query ? `?${query}` : ''}`);
  if (url.origin !== b.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`)))
    throw new BadRequestError('The proxied path is refused: it leaves the API base URL.');
  return url;
}
