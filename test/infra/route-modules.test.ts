import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { jobs, routeList } from '../../functions/routes.js';
import { PROJECT_ROOT } from '../../infra/vault-function.js';

// Each area has its own route module and a handler imports only its own: what a function's bundle
// holds follows from its route, not from the whole table. Bundled here with esbuild as
// VaultFunction does (ESM, node24), reading only the metafile.

/** The files that end up in an entry's bundle. */
async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    outfile: 'out.mjs',
    logLevel: 'silent',
  });
  // What is in the output, not every file parsed (esbuild drops unused SDK modules).
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output?.inputs ?? {})
    .filter(([, i]) => i.bytesInOutput > 0)
    .map(([path]) => path);
}

/** What only other routes need: the provider catalog, the OAuth client, SQS, Stripe, MCP. */
const FOREIGN = [
  'lib/providers/catalog.ts',
  'lib/providers/oauth.ts',
  'node_modules/oauth4webapi/',
  'node_modules/@aws-sdk/client-sqs/',
  'node_modules/stripe/',
  'node_modules/@modelcontextprotocol/',
  'lib/mcp/',
];

describe('route modules', () => {
  it("GetToken's bundle holds none of what only other routes need", { timeout: 30_000 }, async () => {
    // Act
    const inputs = await bundledInputs('functions/tokens/get.ts');

    // Assess
    expect(inputs).toContain('lib/refresh/on-demand.ts');
    expect(inputs.filter((i) => FOREIGN.some((f) => i.includes(f)))).toEqual([]);
    expect(inputs).not.toContain('functions/routes.ts');
  });

  it('no handler imports the assembled table, except the OpenAPI document', () => {
    // Prepare
    const table = join(PROJECT_ROOT, 'functions/routes.ts');
    const imports = (entry: string) =>
      [...readFileSync(join(PROJECT_ROOT, entry), 'utf8').matchAll(/from '(\.[^']+)\.js'/g)].map((m) =>
        join(PROJECT_ROOT, dirname(entry), `${m[1]}.ts`),
      );

    // Act
    const importers = [...routeList, ...jobs].map((d) => d.entry).filter((e) => imports(e).includes(table));

    // Assess
    expect(importers).toEqual(['functions/docs/openapi.ts']);
  });
});
