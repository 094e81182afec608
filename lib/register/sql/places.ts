import type { Sql } from '../../db/client';

/** Places for the search's place filter: a postcode, or a municipality's name folded as the index folds it. */

/** `text` folded as the name indexes fold it (kbo_fold, migration 0013): the one definition is the SQL one. */
export async function fold(sql: Sql, text: string): Promise<string | null> {
  const [row] = await sql<{ folded: string | null }[]>`select kbo_fold(${text}) as folded`;
  return row?.folded ?? null;
}

/** Zipcodes of a place: the postcode itself, or every postcode whose municipality (NL or FR; the one its first address names) folds to the same text. */
export async function zipcodesOf(sql: Sql, place: string): Promise<string[]> {
  if (/^\d{4,5}$/.test(place)) return [place];
  const towns = await municipalities(sql);
  const folded = await fold(sql, place);
  const zips = towns.filter((t) => t.nl === folded || t.fr === folded).map((t) => t.zip);
  return zips;
}

let townCache: { key: string; towns: { zip: string; nl: string | null; fr: string | null }[] } | undefined;

/**
 * Every postcode in the register's current addresses with its municipality's folded names,
 * read by skipping from one postcode to the next on the postcode index (a few thousand index
 * probes), and kept until an import or a rollback changes the addresses (the last jobs' states are the key).
 */
async function municipalities(sql: Sql): Promise<{ zip: string; nl: string | null; fr: string | null }[]> {
  const [state] = await sql<{ key: string }[]>`
    select current_database() || '/' || coalesce(string_agg(id || ':' || status, ',' order by id), '') as key
    from (select id, status from import_jobs order by id desc limit 5) recent`;
  const key = state?.key ?? '';
  if (townCache?.key === key) return townCache.towns;
  const towns = await sql<{ zip: string; nl: string | null; fr: string | null }[]>`
    with recursive z(zip) as (
      (select zipcode from addresses where is_current and zipcode is not null order by zipcode limit 1)
      union all
      select (select zipcode from addresses where is_current and zipcode > z.zip order by zipcode limit 1) from z where z.zip is not null
    )
    select z.zip, kbo_fold(a.municipality_nl) as nl, kbo_fold(a.municipality_fr) as fr
    from z cross join lateral (
      select municipality_nl, municipality_fr from addresses where is_current and zipcode = z.zip limit 1
    ) a
    where z.zip is not null`;
  townCache = { key, towns: [...towns] };
  return townCache.towns;
}
