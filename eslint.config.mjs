import { readdirSync } from 'node:fs';
import { defineConfig, globalIgnores } from 'eslint/config';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

/**
 * The Next.js rules, plus the shape of the tree: no import circle, and the size limits a
 * reader can hold in mind (a file of 300 lines, a function of 60, outside React components
 * and scripts). The size limits warn while the files the layout issue names are split.
 */
/**
 * Each feature is entered through its index (servers, scripts, the other features) or its
 * `shared` module (what a page in the browser may import); its inner folders are its own.
 */
const FEATURES = ['imports', 'sync', 'register', 'generator'];
const feature = (name, prefixes) => ({
  group: [...prefixes.map((p) => `${p}${name}/*`), ...prefixes.map((p) => `!${p}${name}/shared`)],
  message: `Import lib/${name} through its index or lib/${name}/shared, not its inner modules.`,
});
const entryPoints = (from, prefixes) => ({
  files: from,
  ignores: ['**/*.test.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns: FEATURES.filter((f) => !from.some((g) => g.startsWith(`lib/${f}/`))).map((f) => feature(f, prefixes)) }] },
});

/** A page's `_lib` and `_components` are its own: what two pages share lives in app/_lib, app/_components. */
const PAGES = readdirSync(new URL('./app', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('_') && d.name !== 'api')
  .map((d) => d.name);
const privatesOf = (pages) => ({
  selector: `ImportDeclaration[source.value=/(^|\\/)(${pages.join('|')})\\/(.*\\/)?_(lib|components)\\//]`,
  message: "A page's _lib and _components are its own; move what pages share to app/_lib or app/_components.",
});
const ownPrivates = [
  ...PAGES.map((page) => ({ files: [`app/${page}/**`], rules: { 'no-restricted-syntax': ['error', privatesOf(PAGES.filter((p) => p !== page))] } })),
  { files: ['app/**'], ignores: PAGES.map((page) => `app/${page}/**`), rules: { 'no-restricted-syntax': ['error', privatesOf(PAGES)] } },
];

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores(['.next/**', 'node_modules/**', 'drizzle/**', 'bench-results/**', 'public/samples/**', '.data/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts']),
  {
    rules: {
      'import/no-cycle': ['error', { ignoreExternal: true }],
      'max-lines': ['warn', { max: 300, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: ['**/*.tsx', 'scripts/**', '**/*.test.ts', 'test/**', 'e2e/**'],
    rules: { 'max-lines-per-function': 'off' },
  },
  entryPoints(['app/**', 'scripts/**', 'e2e/**'], ['@/lib/', '**/lib/']),
  ...ownPrivates,
  ...FEATURES.map((f) => entryPoints([`lib/${f}/**`], ['../', '../../', '../../../'])),
  entryPoints(['lib/*.ts', 'lib/auth/**', 'lib/db/**', 'lib/http/**', 'lib/kbo/**', 'lib/net/**'], ['../', '../../']),
  {
    files: ['lib/db/schema.ts'],
    rules: { 'max-lines': 'off' },
  },
]);
