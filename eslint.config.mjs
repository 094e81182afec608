import { defineConfig, globalIgnores } from 'eslint/config';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

/**
 * The Next.js rules, plus the shape of the tree: no import circle, and the size limits a
 * reader can hold in mind (a file of 300 lines, a function of 60, outside React components
 * and scripts). The size limits warn while the files the layout issue names are split.
 */
export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores(['.next/**', 'node_modules/**', 'drizzle/**', 'bench-results/**', 'public/samples/**', '.data/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts']),
  {
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      'max-lines': ['warn', { max: 300, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
      // Three effects set state from what only the browser knows after mounting (a saved
      // setting) or from a job's status moving on; they warn until they are rewritten.
      'react-hooks/set-state-in-effect': 'warn',
    },
  },
  {
    files: ['**/*.tsx', 'scripts/**', '**/*.test.ts', 'test/**', 'e2e/**'],
    rules: { 'max-lines-per-function': 'off' },
  },
  {
    files: ['lib/db/schema.ts'],
    rules: { 'max-lines': 'off' },
  },
]);
