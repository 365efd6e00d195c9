import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { root } from '../helpers/process.js';

// The package as `npm run build` makes it: ESM with declarations in sdk/dist (git-ignored), compiled
// by the workspace's own TypeScript 5 (the committed generated types are checked by sdk.test.ts).

const run = promisify(execFile);

it('compiles to ESM with declarations, and the bin runs on plain node', async () => {
  // Act
  const out = join(root, 'sdk/dist');
  await run(join(root, 'sdk/node_modules/.bin/tsc'), ['-p', join(root, 'sdk/tsconfig.build.json')]);

  // Assess
  const sdk = await import(pathToFileURL(join(out, 'index.js')).href);
  expect(typeof sdk.Vault).toBe('function');
  expect(typeof sdk.verifyWebhook).toBe('function');
  expect(new sdk.NotFoundError(404, { title: 'Not Found' })).toBeInstanceOf(sdk.VaultError);
  expect(await readFile(join(out, 'index.d.ts'), 'utf8')).toMatch(/export declare class Vault/);
  const pkg = JSON.parse(await readFile(join(root, 'sdk/package.json'), 'utf8'));
  expect(pkg.bin.vault).toBe('./dist/cli.js');
  expect(Object.keys(pkg.dependencies)).toEqual(['standardwebhooks']);
  const help = await run(process.execPath, [join(out, 'cli.js'), '--help']);
  expect(help.stdout).toMatch(/Exit codes:/);
}, 120_000);
