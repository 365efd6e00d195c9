import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from './bundling.js';
import { PROJECT_ROOT } from './vault-function.js';

// Bundle budgets: the most bytes each function's bundle (index.mjs, as deployed) may weigh. Kept in
// infra/bundle-budgets.json and checked by test/infra/bundling.test.ts, so a change that drags a
// heavy dependency into a function fails a test instead of slowing its cold starts unnoticed.
// `npm run bundle-budgets` rewrites the file from today's sizes plus HEADROOM.

export const BUDGETS_FILE = join(PROJECT_ROOT, 'infra/bundle-budgets.json');
export const HEADROOM = 0.12;

export interface BudgetFile {
  $comment: string;
  headroom: number;
  /** Bytes of index.mjs, by function id. */
  budgets: Record<string, number>;
}

/** Bundles every function at once (one esbuild run, in parallel, nothing written): bytes by function id. */
export async function bundleSizes(fns: { id: string; entry: string }[]): Promise<Record<string, number>> {
  const entryPoints = Object.fromEntries(fns.map((f) => [`${f.id}/index`, join(PROJECT_ROOT, f.entry)]));
  const outdir = join(PROJECT_ROOT, 'cdk.out', 'bundle-sizes');
  const { outputFiles } = await build({ ...esbuildOptions(entryPoints, outdir), write: false });
  const sizes: Record<string, number> = {};
  for (const file of outputFiles) {
    if (!file.path.endsWith('/index.mjs')) continue;
    sizes[file.path.slice(outdir.length + 1, -'/index.mjs'.length)] = file.contents.byteLength;
  }
  return sizes;
}

/** What is wrong with the budgets for these sizes: a function without a budget, over it, or a budget for no function. */
export function budgetProblems(sizes: Record<string, number>, budgets: Record<string, number>): string[] {
  const problems: string[] = [];
  for (const [id, bytes] of Object.entries(sizes)) {
    const budget = budgets[id];
    if (budget === undefined) problems.push(`${id}: no budget (run \`npm run bundle-budgets\`)`);
    else if (bytes > budget) problems.push(`${id}: ${bytes} bytes, over its budget of ${budget}`);
  }
  for (const id of Object.keys(budgets)) {
    if (!(id in sizes)) problems.push(`${id}: a budget for a function that does not exist`);
  }
  return problems;
}

export function readBudgets(): BudgetFile {
  return JSON.parse(readFileSync(BUDGETS_FILE, 'utf8')) as BudgetFile;
}

async function main(): Promise<void> {
  const { routeList, jobs } = await import('../functions/routes.js');
  const sizes = await bundleSizes([...routeList, ...jobs]);
  // Rounded up to whole KB, so a rewrite after a small change leaves most lines alone.
  const budgets = Object.fromEntries(
    Object.entries(sizes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, bytes]) => [id, Math.ceil((bytes * (1 + HEADROOM)) / 1024) * 1024]),
  );
  const file: BudgetFile = {
    $comment:
      'Most bytes of each function bundle (index.mjs). Checked by test/infra/bundling.test.ts; `npm run bundle-budgets` resets them to the current sizes plus headroom.',
    headroom: HEADROOM,
    budgets,
  };
  writeFileSync(BUDGETS_FILE, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`Wrote ${Object.keys(budgets).length} budgets to ${BUDGETS_FILE}`);
}

if (process.argv[1]?.endsWith('bundle-sizes.ts')) await main();
