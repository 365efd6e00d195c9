import { mkdir, writeFile } from 'node:fs/promises';
import { GENERATED_PATH, repoDocument, typesFromDocument } from './openapi-types.js';

// `npm run generate`: writes src/generated/openapi.ts from the OpenAPI document, built from this
// repository's route table, or fetched from a running vault with `--url <base URL>`.

const at = process.argv.indexOf('--url');
const doc =
  at > 0
    ? ((await (await fetch(new URL('/openapi.json', process.argv[at + 1]))).json()) as Record<
        string,
        unknown
      >)
    : await repoDocument();
await mkdir(new URL('.', GENERATED_PATH), { recursive: true });
await writeFile(GENERATED_PATH, await typesFromDocument(doc));
console.log(`wrote ${GENERATED_PATH.pathname}`);
