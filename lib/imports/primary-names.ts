import { PRIMARY_NAME_LANGUAGES } from '../datasets/kbo';
import type { Tx } from '../db/client';
import type { Fragment } from '../db/sql';

/**
 * An enterprise's primary name is its current `001` denomination in the preferred language
 * (see PRIMARY_NAME_LANGUAGES). Recomputes it for the numbers `touched` selects (one column
 * `n`); finalize passes what the import staged, undo what it removed or restored. Because
 * the name is a function of the current denominations, recomputing it is always safe.
 */
export async function refreshPrimaryNames(tx: Tx, touched: Fragment): Promise<void> {
  await tx`
    with touched as (${touched}), named as (
      select touched.n, (
        select d.denomination from denominations d
        where d.entity_number = touched.n and d.is_current and d.type_of_denomination = '001'
        order by array_position(${PRIMARY_NAME_LANGUAGES}::text[], d.language) nulls last, d.denomination
        limit 1
      ) as name
      from touched
    )
    update enterprises e set primary_name = named.name
    from named
    where e.enterprise_number = named.n and e.is_current and e.primary_name is distinct from named.name`;
}
