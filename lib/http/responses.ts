import type { Reply } from './types.js';

// Responses are built here, never as literals in handlers. API responses may carry secrets:
// nothing on the way may cache them. Each keeps its status and body type (Reply), which route()
// checks against the route's declared responses.
const base = { 'Cache-Control': 'no-store' };

export function json<S extends number, T>(
  statusCode: S,
  data: T,
  headers: Record<string, string> = {},
): Reply<S, T> {
  return {
    statusCode,
    headers: { ...base, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(data),
  };
}

export const ok = <T>(data: T) => json(200, data);
export const created = <T>(data: T, location?: string) =>
  json(201, data, location ? { Location: location } : {});
export const noContent = (): Reply<204, undefined> => ({ statusCode: 204, headers: { ...base } });

export function redirect(location: string): Reply<302, undefined> {
  return { statusCode: 302, headers: { ...base, Location: location } };
}

export function html(body: string): Reply<200, string> {
  return { statusCode: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body };
}
