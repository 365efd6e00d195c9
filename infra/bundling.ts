import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** Lets ESM bundles load CommonJS dependencies that call `require` (e.g. Node built-ins). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * How every vault function is bundled (VaultFunction passes these to NodejsFunction): an ESM bundle
 * for Node 24, minified, with source maps but not their sources.
 */
export const VAULT_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Ship the SDK versions the code was tested with, not whatever the runtime carries.
  bundleAwsSDK: true,
} as const satisfies BundlingOptions;

/**
 * The esbuild options NodejsFunction derives from VAULT_BUNDLING (its command line, as options), for
 * bundling without a CDK synth: the bundle-budget test and the cold-start benchmark. `entryPoints`
 * maps an output name to a handler file (absolute), so `{ 'GetToken/index': ... }` makes
 * `<outdir>/GetToken/index.mjs`, as the stack's asset holds `index.mjs`.
 */
export function esbuildOptions(entryPoints: Record<string, string>, outdir: string): BuildOptions {
  return {
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: VAULT_BUNDLING.target,
    format: VAULT_BUNDLING.format,
    mainFields: [...VAULT_BUNDLING.mainFields],
    banner: { js: VAULT_BUNDLING.banner },
    minify: VAULT_BUNDLING.minify,
    sourcemap: VAULT_BUNDLING.sourceMap,
    sourcesContent: VAULT_BUNDLING.sourcesContent,
    // bundleAwsSDK: nothing is external.
    external: [],
    logLevel: 'warning',
  };
}
