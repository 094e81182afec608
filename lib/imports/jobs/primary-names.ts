import { PRIMARY_NAME_LANGUAGES } from '../../datasets/kbo';
import type { Tx } from '../../db/client';
import type { Fragment } from '../../db/sql';

/**
 * An enterprise's primary name is its current `001` denomination in the preferred language
 * (see PRIMARY_NAME_LANGUAGES). Recomputes it for the numbers `touched` selects (one column
 * `n`); finalize passes what the import staged, undo what it removed or restored. Because
 * the name is a function of the current denominations, recomputing it is always safe.
 */
export async function refreshPrimaryNames(tx: Tx, touched: Fragment): Promise<void> {
  // Set-based: one pass over the touched enterprises' current 001 denominations (DISTINCT ON
  // picks the preferred one each), then one update of the names that changed.
  await tx`
    with touched as (select distinct n from (${touched}) t), best as (
      select distinct on (d.entity_number) d.entity_number as n, d.denomination as name
      from denominations d join touched on d.entity_number = touched.n
      where d.is_current and d.type_of_denomination = '001'
      order by d.entity_number, array_position(${PRIMARY_NAME_LANGUAGES}::text[], d.language) nulls last, d.denomination
    ), named as (
      select touched.n, best.name from touched left join best on best.n = touched.n
    )
    update enterprises e set primary_name = named.name
    from named
    where e.enterprise_number = named.n and e.is_current and e.primary_name is distinct from named.name`;
}
