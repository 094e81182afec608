import type { Sql } from '../../db/client';
import { codedBy } from '../query/coded';
import type { Language } from '../query/language';
import type { SearchHit } from '../query/search-query';
import { codeTexts } from '../sql/codes';
import { hitRows } from '../sql/hits';

/** The result lines for these numbers, in their order, each code with its text and the address in one line. */
export async function hitsOf(sql: Sql, numbers: string[], language: Language): Promise<SearchHit[]> {
  if (numbers.length === 0) return [];
  const rows = await hitRows(sql, numbers);
  const pairs: [string, string | null][] = rows.flatMap((r) => [
    ['JuridicalForm', r.ent_form ?? r.parent_form],
    ['Status', r.ent_status ?? r.parent_status],
  ]);
  const coded = codedBy(await codeTexts(sql, pairs, language));
  const fr = language === 'fr';
  return rows.map((r) => {
    const street = fr ? (r.street_fr ?? r.street_nl) : (r.street_nl ?? r.street_fr);
    const town = fr ? (r.municipality_fr ?? r.municipality_nl) : (r.municipality_nl ?? r.municipality_fr);
    const line = [[street, r.house_number, r.box ? `box ${r.box}` : null].filter(Boolean).join(' '), [r.zipcode, town].filter(Boolean).join(' ')].filter(Boolean).join(', ');
    return {
      kind: r.is_enterprise ? 'enterprise' : 'establishment',
      number: r.n,
      name: r.is_enterprise ? (r.primary_name ?? r.own_name) : (r.own_name ?? r.parent_name),
      enterpriseNumber: r.is_enterprise ? null : r.parent,
      juridicalForm: coded('JuridicalForm', r.ent_form ?? r.parent_form),
      status: coded('Status', r.ent_status ?? r.parent_status),
      address: line || null,
    };
  });
}
