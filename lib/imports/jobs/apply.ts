import { CODE_TABLE, tableSpec, type DataTableName } from '../../kbo/spec';
import type { Tx } from '../../db/client';
import { tableOrPartition } from '../../db/partitions';
import { ident, identList, join, probingKeys, sameRow, type Fragment } from '../../db/sql';
import type { ImportMode } from '../../db/schema';
import { ImportFailure } from '../../errors';
import { resyncRange as rangeOf } from '../sql/batches';
import type { BatchCounts, BatchRef } from '../state/batch-moves';

export interface JobRef {
  extractNumber: number | null;
  snapshotDate: string | null;
  /** `initial`: a FULL into empty tables, so no row can already be current. */
  mode: ImportMode | null;
}

/**
 * Applies one batch with set-based SQL, inside the caller's transaction. Table and column
 * names come from the dataset definition only; every value is a bound parameter.
 */
export async function applyBatch(tx: Tx, job: JobRef, batch: BatchRef): Promise<BatchCounts> {
  const counts =
    batch.operation === 'replace'
      ? await replaceCodes(tx, job, batch)
      : batch.operation === 'resync'
        ? await resyncRange(tx, job, batch)
        : batch.operation === 'delete'
          ? await probingKeys(tx, () => endEntities(tx, job, batch))
          : await probingKeys(tx, () => insertRows(tx, job, batch));
  if (counts.staged !== batch.rowCount) {
    // Staging is WAL-logged, so a crash keeps it; rows missing anyway (someone deleted them)
    // must never be reported as applied.
    throw new ImportFailure(
      'PRECONDITION_FAILED',
      `Batch ${batch.batchNumber} of ${batch.tableName} (${batch.operation}) expected ${batch.rowCount} staged rows but found ${counts.staged}; its staging rows were removed from outside the importer. Cancel this import and import the file again.`,
    );
  }
  return counts;
}

/**
 * Where a batch's rows go: the partition that holds all its keys, named directly (no routing,
 * and a statement planned over one partition rather than 32), or the partitioned table.
 */
function targetOf(batch: BatchRef): string {
  return tableOrPartition(batch.tableName, batch.partition);
}

/**
 * Written straight into a partition, the ids come from the partitioned table's identity
 * sequence. Before PostgreSQL 17 a partition has no identity of its own; from 17 on it shares
 * the parent's, as GENERATED ALWAYS, so the value we give needs OVERRIDING SYSTEM VALUE (which
 * a column without identity ignores). Into the partitioned table, nothing: its identity.
 */
function idsOf(tx: Tx, table: string, partition: number | null) {
  return partition === null
    ? { column: tx``, overriding: tx``, value: tx`` }
    : { column: tx`, id`, overriding: tx`overriding system value`, value: tx`, nextval((select pg_get_serial_sequence(${table}, 'id'))::regclass)` };
}

async function insertRows(tx: Tx, job: JobRef, batch: BatchRef): Promise<BatchCounts> {
  const spec = tableSpec(batch.tableName as DataTableName);
  const columns = spec.columns.map((c) => c.column);
  const target = ident(tx, targetOf(batch));
  const ids = idsOf(tx, spec.table, batch.partition);
  const notCurrent =
    job.mode === 'initial'
      ? tx`true`
      : tx`not exists (select 1 from ${target} t where t.is_current and ${sameRow(tx, columns, [spec.key], 't', 's')})`;
  const [r] = await tx<{ staged: number; distinct_rows: number; inserted: number }[]>`
    with src as (
      select ${identList(tx, columns)}, count(*) as n
      from ${ident(tx, spec.staging)}
      where job_id = ${batch.jobId} and batch_number = ${batch.batchNumber} and operation = 'insert'
      group by ${identList(tx, columns)}
    ), ins as (
      insert into ${target} (${identList(tx, columns)}, extract_number, snapshot_date${ids.column}) ${ids.overriding}
      select ${identList(tx, columns, 's')}, ${job.extractNumber}, ${job.snapshotDate}::date${ids.value}
      from src s
      where ${notCurrent}
      returning 1
    )
    select coalesce((select sum(n) from src), 0)::int as staged,
           (select count(*) from src)::int as distinct_rows,
           (select count(*) from ins)::int as inserted`;
  const { staged, distinct_rows, inserted } = r as { staged: number; distinct_rows: number; inserted: number };
  return { staged, inserted, ended: 0, unchanged: distinct_rows - inserted, duplicate: staged - distinct_rows, noop: 0 };
}

async function endEntities(tx: Tx, job: JobRef, batch: BatchRef): Promise<BatchCounts> {
  const spec = tableSpec(batch.tableName as DataTableName);
  const [r] = await tx<{ staged: number; keys: number; ended: number; keys_hit: number }[]>`
    with keys as (
      select ${ident(tx, spec.key)} as k, count(*) as n
      from ${ident(tx, spec.staging)}
      where job_id = ${batch.jobId} and batch_number = ${batch.batchNumber} and operation = 'delete'
      group by 1
    ), ended as (
      update ${ident(tx, targetOf(batch))} t
      set is_current = false, deleted_at_extract = ${job.extractNumber}
      from keys
      where t.${ident(tx, spec.key)} = keys.k and t.is_current
      returning t.${ident(tx, spec.key)} as k
    )
    select coalesce((select sum(n) from keys), 0)::int as staged,
           (select count(*) from keys)::int as keys,
           (select count(*) from ended)::int as ended,
           (select count(distinct k) from ended)::int as keys_hit`;
  const { staged, keys, ended, keys_hit } = r as { staged: number; keys: number; ended: number; keys_hit: number };
  return { staged, inserted: 0, ended, unchanged: 0, duplicate: staged - keys, noop: keys - keys_hit };
}

/**
 * A resync batch: the FULL's rows for one range of keys against the table's current rows in
 * that range. The range (from this batch's first key to the next batch's) is read from the
 * batch rows, so it covers keys the FULL no longer has at all. A batch cut within a partition
 * reads and writes that partition only.
 */
async function resyncRange(tx: Tx, job: JobRef, batch: BatchRef): Promise<BatchCounts> {
  const spec = tableSpec(batch.tableName as DataTableName);
  const range = await rangeOf(tx, batch);
  const key = tx`t.${ident(tx, spec.key)}`;
  return replaceCurrent(tx, job, {
    table: spec.table,
    partition: batch.partition,
    staging: spec.staging,
    columns: spec.columns.map((c) => c.column),
    keys: [spec.key],
    staged: tx`job_id = ${batch.jobId} and batch_number = ${batch.batchNumber} and operation = 'resync'`,
    scope: [...(range.lo != null ? [tx`${key} >= ${range.lo}`] : []), ...(range.hi != null ? [tx`${key} < ${range.hi}`] : [])],
    oneRow: spec.oneRowPerKey === true,
  });
}

/** code.csv replaces the code table as a whole. */
async function replaceCodes(tx: Tx, job: JobRef, batch: BatchRef): Promise<BatchCounts> {
  return replaceCurrent(tx, job, {
    table: 'codes',
    partition: null,
    staging: CODE_TABLE.staging,
    columns: CODE_TABLE.columns.map((c) => c.column),
    keys: CODE_TABLE.columns.filter((c) => c.required).map((c) => c.column),
    staged: tx`job_id = ${batch.jobId} and operation = 'replace'`,
    scope: [],
    oneRow: false,
  });
}

/**
 * Makes the current rows of a table (or of one of its partitions) within `scope` (conditions on `t`; none: the whole table)
 * exactly the staged rows: current rows not staged end, staged rows not current are inserted,
 * rows in both stay as they are. One statement, both sides seeing the rows as they were
 * before it; for a table with one row per key, two, ending before inserting, so a key whose
 * row changed is never current twice, not even for a moment (its unique index checks each
 * row as it is written). After the first, the current rows left in scope are exactly those
 * with a staged twin, so the insert's test means the same.
 */
async function replaceCurrent(
  tx: Tx,
  job: JobRef,
  what: { table: string; partition: number | null; staging: string; columns: string[]; keys: string[]; staged: Fragment; scope: Fragment[]; oneRow: boolean },
): Promise<BatchCounts> {
  const t = ident(tx, tableOrPartition(what.table, what.partition));
  const ids = idsOf(tx, what.table, what.partition);
  const match = sameRow(tx, what.columns, what.keys, 't', 's');
  const src = tx`
    select ${identList(tx, what.columns)}, count(*) as n
    from ${ident(tx, what.staging)}
    where ${what.staged}
    group by ${identList(tx, what.columns)}`;
  const end = tx`
    update ${t} t set is_current = false, deleted_at_extract = ${job.extractNumber}
    where ${join(tx, [tx`t.is_current`, ...what.scope], 'and')} and not exists (select 1 from src s where ${match})
    returning 1`;
  let endedFirst = 0;
  if (what.oneRow) {
    const [e] = await tx<{ ended: number }[]>`with src as (${src}), ended as (${end}) select count(*)::int as ended from ended`;
    endedFirst = e?.ended ?? 0;
  }
  const [r] = await tx<{ staged: number; distinct_rows: number; ended: number; inserted: number }[]>`
    with src as (${src}), ended as (${what.oneRow ? tx`select 1 where false` : end}), ins as (
      insert into ${t} (${identList(tx, what.columns)}, extract_number, snapshot_date${ids.column}) ${ids.overriding}
      select ${identList(tx, what.columns, 's')}, ${job.extractNumber}, ${job.snapshotDate}::date${ids.value}
      from src s
      where not exists (select 1 from ${t} t where t.is_current and ${match})
      returning 1
    )
    select coalesce((select sum(n) from src), 0)::int as staged,
           (select count(*) from src)::int as distinct_rows,
           (select count(*) from ended)::int as ended,
           (select count(*) from ins)::int as inserted`;
  const { staged, distinct_rows, ended, inserted } = r as { staged: number; distinct_rows: number; ended: number; inserted: number };
  return { staged, inserted, ended: ended + endedFirst, unchanged: distinct_rows - inserted, duplicate: staged - distinct_rows, noop: 0 };
}
