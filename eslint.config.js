// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', '.telco-kpi/', 'bench/data/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The portal's page (web/): a plain browser script.
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(['document', 'window', 'localStorage', 'fetch', 'FormData', 'XMLHttpRequest', 'URL', 'alert', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Headers', 'crypto', 'atob', 'TextDecoder'].map((g) => [g, 'readonly'])),
    },
  },
  {
    // The Cognito client the page imports in AWS mode.
    files: ['web/cognito.js'],
    languageOptions: { sourceType: 'module' },
  },
  {
    // The core is pure logic: no AWS SDK, no DuckDB, no filesystem, no process environment.
    files: ['lambdas/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@aws-sdk/*'], message: 'core/ must not import the AWS SDK: use a port in adapters/.' },
          { group: ['@duckdb/*'], message: 'core/ must not import DuckDB: use the QueryEngine port.' },
          { group: ['fs', 'node:fs', 'fs/promises', 'node:fs/promises'], message: 'core/ must not touch the filesystem: use the ObjectStore port.' },
          { group: ['**/adapters/**', '**/cli/**', '**/handlers/**', '**/config'], message: 'core/ depends on nothing outside core/.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'core/ reads no environment: take plain values.' }],
    },
  },
);
