import type { Sql } from '../db/client';
import type { Language } from './language';

/** A code and its text in the chosen language (null when the code table has none). */
export interface Coded {
  code: string | null;
  text: string | null;
}

/** The current texts of (category, code) pairs in `language`, falling back to NL, then FR. Keyed `category\0code`. */
export async function codeTexts(sql: Sql, pairs: [string, string | null][], language: Language): Promise<Map<string, string>> {
  const unique = [...new Set(pairs.filter(([, code]) => code).map(([c, code]) => `${c}\u0000${code}`))];
  const out = new Map<string, string>();
  if (unique.length === 0) return out;
  const categories = unique.map((k) => k.split('\u0000')[0] as string);
  const codes = unique.map((k) => k.split('\u0000')[1] as string);
  const order = [...new Set([language.toUpperCase(), 'NL', 'FR'])];
  const rows = await sql<{ category: string; code: string; language: string; description: string | null }[]>`
    select c.category, c.code, c.language, c.description
    from unnest(${categories}::text[], ${codes}::text[]) as w(category, code)
    join codes c on c.category = w.category and c.code = w.code and c.is_current
    where c.language = any(${order}::text[])`;
  const rank = (l: string) => order.indexOf(l);
  const best = new Map<string, { rank: number; text: string }>();
  for (const r of rows) {
    const key = `${r.category}\u0000${r.code}`;
    const seen = best.get(key);
    if (r.description && (!seen || rank(r.language) < seen.rank)) best.set(key, { rank: rank(r.language), text: r.description });
  }
  for (const [key, v] of best) out.set(key, v.text);
  return out;
}
