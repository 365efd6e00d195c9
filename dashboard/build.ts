import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Builds the dashboard (Preact + htm, plain CSS) into dashboard/dist/app.js and app.css with the
// repo's esbuild. The local server runs this at start; the CDK stack before bundling the function
// that serves the files. `tsx dashboard/build.ts` runs it by hand.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_DIST = join(root, 'dashboard/dist');

export async function buildDashboard(outdir = DASHBOARD_DIST): Promise<void> {
  const out = await build({
    write: false,
    entryPoints: { app: join(root, 'dashboard/src/main.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Write-then-rename: servers starting in parallel (test workers) never read a half-written file.
  mkdirSync(outdir, { recursive: true });
  for (const file of out.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDashboard(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
