// Regenerates the extract tables in README.md from the schema declarations.
import { readFileSync, writeFileSync } from 'node:fs';
import { withExtractDocs } from '../lambdas/core/extracts/schema-docs.js';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withExtractDocs(readFileSync(path, 'utf8')));
console.log('README.md extract tables regenerated from lambdas/core/extracts/schema.ts');
