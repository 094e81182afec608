import type { Tx } from '../../db/client';
import { bestNames as bestOf } from '../../db/primary-name';
import type { Fragment } from '../../db/sql';

/**
 * The primary names (lib/db/primary-name.ts) of the entity numbers `which` admits (a condition
 * on `d.entity_number`), in one pass over their current `001` rows.
 */
function bestNames(tx: Tx, which: Fragment): Fragment {
  return bestOf(
    tx,
    tx`select d.entity_number, d.language, d.type_of_denomination, d.denomination from denominations d
       where ${which} and d.is_current and d.type_of_denomination = '001'`,
  );
}

/**
 * Recomputes the primary names of the enterprises `touched` selects (one column `n`):
 * finalize passes what the import staged, undo what it removed or restored. Because the name
 * is a function of the current denominations, recomputing it is always safe; only the names
 * that changed are written.
 */
export async function refreshPrimaryNames(tx: Tx, touched: Fragment): Promise<void> {
  await tx`
    with touched as (select distinct n from (${touched}) t),
    best as (${bestNames(tx, tx`d.entity_number in (select n from touched)`)}),
    named as (select touched.n, best.name from touched left join best on best.n = touched.n)
    update enterprises e set primary_name = named.name
    from named
    where e.enterprise_number = named.n and e.is_current and e.primary_name is distinct from named.name`;
}

/**
 * The primary names of the enterprises numbered from `first` to `last`, from the denominations
 * already in the register: a FULL copied into empty tables asks this for each chunk of its
 * (key-ordered) enterprise file before copying it, so its enterprises are written named and
 * never updated. One range of the current-key index; enterprises without a name are absent.
 */
export async function primaryNamesBetween(tx: Tx, first: string, last: string): Promise<Map<string, string>> {
  const rows = await tx<{ n: string; name: string }[]>`${bestNames(tx, tx`d.entity_number between ${first} and ${last}`)}`;
  return new Map(rows.map((r) => [r.n, r.name]));
}
