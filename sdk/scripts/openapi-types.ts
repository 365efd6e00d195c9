import openapiTS, { astToString } from 'openapi-typescript';

// OpenAPI document → TypeScript types, with openapi-typescript. The build and the staleness test
// both call this, so "fresh" means exactly what the build would write.

export const GENERATED_PATH = new URL('../src/generated/openapi.ts', import.meta.url);

const HEADER =
  '// Generated from the vault’s OpenAPI document by `npm run generate -w @token-vault/sdk`. Do not edit.\n\n';

export async function typesFromDocument(doc: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(withoutSelfReferences(doc) as never, {
    alphabetize: true,
    // A field with a default is optional to send (the types here describe requests too).
    defaultNonNullable: false,
  });
  return HEADER + astToString(ast);
}

/** The document the vault serves at `/openapi.json`, built from this repository's route table. */
export async function repoDocument(): Promise<Record<string, unknown>> {
  const { buildOpenApi } = await import('../../lib/http/openapi.js');
  const { routeList } = await import('../../functions/routes.js');
  return buildOpenApi(routeList, { title: 'Token Vault API', version: '0.1.0' });
}

/**
 * A component that refers to itself (zod's JSON value, for metadata) would be emitted as an indexed
 * access on itself, which TypeScript rejects; it becomes `unknown`, which is what it is.
 */
function withoutSelfReferences(doc: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc) as { components?: { schemas?: Record<string, unknown> } };
  const schemas = copy.components?.schemas ?? {};
  for (const [name, schema] of Object.entries(schemas)) {
    if (JSON.stringify(schema).includes(`"#/components/schemas/${name}"`)) schemas[name] = {};
  }
  return copy as Record<string, unknown>;
}
