import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every API route of the app, found on disk (so a new route cannot be forgotten), with its methods. */
export function apiRoutes(): { url: string; methods: string[] }[] {
  const root = path.resolve(import.meta.dirname, '../app/api');
  const out: { url: string; methods: string[] }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name === 'route.ts') {
        const source = readFileSync(full, 'utf8');
        const methods = [...source.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1] as string);
        const url = '/api/' + path.relative(root, dir).split(path.sep).join('/').replace(/\[\w+\]/g, '1');
        out.push({ url, methods });
      }
    }
  };
  walk(root);
  return out;
}

