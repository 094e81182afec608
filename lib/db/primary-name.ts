import { PRIMARY_NAME_LANGUAGES } from '../kbo/spec';
import type { Fragment } from './sql';
import type { Queryable } from './client';

/**
 * The primary-name rule, in one place: an enterprise's primary name is its `001` denomination
 * in the preferred language (PRIMARY_NAME_LANGUAGES), ties broken by the name itself.
 * `denominations` is any set of denomination rows (entity_number, language,
 * type_of_denomination, denomination): the current ones (finalize, undo, a FULL's load) or
 * those of an earlier state (the register's as-of view). One row per entity: `n`, `name`.
 */
export function bestNames(sql: Queryable, denominations: Fragment): Fragment {
  return sql`
    select distinct on (d.entity_number) d.entity_number as n, d.denomination as name
    from (${denominations}) d
    where d.type_of_denomination = '001'
    order by d.entity_number, array_position(${PRIMARY_NAME_LANGUAGES}::text[], d.language) nulls last, d.denomination`;
}
