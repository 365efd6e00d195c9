import type { HttpResult } from './types.js';

// Responses are built here, never as literals in handlers. API responses may carry secrets:
// nothing on the way may cache them.
const base = { 'Cache-Control': 'no-store' };

export function json(statusCode: number, data: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { ...base, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(data),
  };
}

export const ok = (data: unknown) => json(200, data);
export const created = (data: unknown, location?: string) =>
  json(201, data, location ? { Location: location } : {});
export const noContent = (): HttpResult => ({ statusCode: 204, headers: { ...base } });

export function redirect(location: string): HttpResult {
  return { statusCode: 302, headers: { ...base, Location: location } };
}

export function html(body: string): HttpResult {
  return { statusCode: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body };
}
