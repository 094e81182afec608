import type { Sql } from '../../db/client';
import { codeKey, type CodeText } from '../query/coded';
import type { Language } from '../query/language';

/** Every statement of the register on the code table: texts in a language, the form's choices. */

/** The languages to read a text in: the chosen one, then NL, then FR. */
const fallbackOrder = (language: Language) => [...new Set([language.toUpperCase(), 'NL', 'FR'])];

/** The current texts of (category, code) pairs in `language`, falling back to NL, then FR, each with the language it is in. Keyed `category\0code`. */
export async function codeTexts(sql: Sql, pairs: [string, string | null][], language: Language): Promise<Map<string, CodeText>> {
  const unique = [...new Set(pairs.filter(([, code]) => code).map(([c, code]) => codeKey(c, code as string)))];
  const out = new Map<string, CodeText>();
  if (unique.length === 0) return out;
  const categories = unique.map((k) => k.split('\u0000')[0] as string);
  const codes = unique.map((k) => k.split('\u0000')[1] as string);
  const order = fallbackOrder(language);
  const rows = await sql<{ category: string; code: string; language: string; description: string | null }[]>`
    select c.category, c.code, c.language, c.description
    from unnest(${categories}::text[], ${codes}::text[]) as w(category, code)
    join codes c on c.category = w.category and c.code = w.code and c.is_current
    where c.language = any(${order}::text[])`;
  const rank = (l: string) => order.indexOf(l);
  const best = new Map<string, { rank: number; text: string; language: string }>();
  for (const r of rows) {
    const key = codeKey(r.category, r.code);
    const seen = best.get(key);
    if (r.description && (!seen || rank(r.language) < seen.rank)) best.set(key, { rank: rank(r.language), text: r.description, language: r.language });
  }
  for (const [key, v] of best) out.set(key, { text: v.text, language: v.language });
  return out;
}

/** One text per code of these categories, in `language` (else NL, else FR). */
export async function codeChoices(sql: Sql, categories: string[], language: Language): Promise<{ category: string; code: string; description: string | null; language: string }[]> {
  const order = fallbackOrder(language);
  return sql<{ category: string; code: string; description: string | null; language: string }[]>`
    select distinct on (category, code) category, code, description, language from codes
    where is_current and category = any(${categories}::text[]) and language = any(${order}::text[])
    order by category, code, array_position(${order}::text[], language::text)`;
}

/** The NACE versions whose code table holds `nace`, newest first (`Nace2025`, `Nace2008`…). */
export async function naceVersionsOf(sql: Sql, nace: string): Promise<string[]> {
  const rows = await sql<{ category: string }[]>`
    select distinct category from codes where is_current and code = ${nace} and category like 'Nace%' order by category desc`;
  return rows.map((r) => r.category);
}
