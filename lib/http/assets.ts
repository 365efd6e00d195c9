import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../config.js';
import { NotFoundError } from '../errors.js';
import type { Reply } from './types.js';

// Static files a route serves (its `assets`). Deployed, they are copied next to the function's
// bundle (infra/vault-function.ts); locally they are read from the project (dashboard/dist is
// built by the local server at start). Each is read once per process.

const here = dirname(fileURLToPath(import.meta.url));
const cache = new Map<string, { text: string; etag: string }>();

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

export function readAsset(relPath: string): { text: string; etag: string } {
  let asset = cache.get(relPath);
  if (asset === undefined) {
    const path = [join(here, basename(relPath)), join(projectRoot, relPath)].find((p) => existsSync(p));
    if (!path) throw new Error(`Asset missing: ${relPath}`);
    const text = readFileSync(path, 'utf8');
    asset = { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"` };
    cache.set(relPath, asset);
  }
  return asset;
}

/** Serves one of `allowed` (project-relative paths) by file name; anything else is a 404. */
export function serveAsset(
  allowed: readonly string[],
  name: string,
  ifNoneMatch?: string,
): Reply<200 | 304, string | undefined> {
  const rel = allowed.find((a) => basename(a) === name);
  if (!rel) throw new NotFoundError('No such file.');
  const { text, etag } = readAsset(rel);
  // Revalidated on every use (the files change with each deployment, their names do not); the
  // ETag makes that a 304.
  const headers = { 'Cache-Control': 'no-cache', ETag: etag };
  if (ifNoneMatch === etag) return { statusCode: 304, headers };
  const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
  return { statusCode: 200, headers: { ...headers, 'Content-Type': type }, body: text };
}
