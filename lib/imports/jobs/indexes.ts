import type { Sql, Tx } from '../../db/client';
import { env } from '../../env';
import { anyIndexing, endIndexing } from '../sql/jobs';
import { JOB } from '../state/machine';
import { buildPartitionIndex, buildProgress, deferIndexes, pendingBuilds } from '../sql/indexes';
import type { ImportMode } from '../../db/schema';

/**
 * Load first, index after. Every register table is hash-partitioned on its key (drizzle/0024),
 * so an index can be built a partition at a time: a FULL into an empty register (large enough
 * to gain from it) drops the indexes a load would keep up row by row and leaves an invalid one
 * on each partitioned table (`deferIndexes`). Once it has completed, step calls build each
 * partition's copy and attach it, one per transaction (`indexSteps`); PostgreSQL marks the
 * parent valid when its last partition is attached. The catalog is the whole state: a crash
 * in a build rolls it back, and the next step builds it again. Meanwhile the register answers
 * the same, from the partitions already built and by scanning the others.
 */

/** Whether a FULL of `bytes` uncompressed CSV into an empty register defers its indexes (`deferIndexes` option, else IMPORT_DEFER_INDEXES_MB). */
export function defersIndexes(mode: ImportMode, bytes: number, option?: boolean): boolean {
  if (mode !== 'initial') return false;
  return option ?? bytes >= env().IMPORT_DEFER_INDEXES_MB * 1024 * 1024;
}

/**
 * At a job's creation, in its transaction: a FULL into an empty register defers the indexes
 * when it should, and owns whatever builds are left (a cancelled FULL's, too). True when the
 * job has index builds to do once it completes.
 */
export async function planIndexes(tx: Tx, defer: boolean, mode: ImportMode): Promise<boolean> {
  if (mode !== 'initial') return false;
  if (defer) await deferIndexes(tx);
  return (await pendingBuilds(tx)).length > 0;
}

/**
 * Builds partitions' indexes until `deadline` (at least one when `atLeastOne`), each in its own
 * transaction; several drivers build different indexes at once. When none is left, no job owns
 * builds any more. Returns how many it built.
 */
export async function indexSteps(sql: Sql, deadline: number, atLeastOne = false): Promise<number> {
  let built = 0;
  while (Date.now() < deadline || (atLeastOne && built === 0)) {
    const step = await sql.begin(async (tx) => {
      const pending = await pendingBuilds(tx);
      if (pending.length === 0) {
        await endIndexing(tx);
        return 'done';
      }
      for (const p of pending) if (await buildPartitionIndex(tx, p.index, p.partition)) return 'built';
      return 'busy'; // every index left is being built by another driver
    });
    if (step !== 'built') break;
    built++;
  }
  return built;
}

/** Whether a step call for a job of `mode` in `status` builds indexes first: not while a FULL is still loading or being undone. */
export async function buildsFirst(sql: Sql, job: { mode: ImportMode | null; status: string }): Promise<boolean> {
  if (job.mode === 'initial' && job.status !== JOB.completed) return false;
  return anyIndexing(sql);
}

/**
 * A FULL undone (cancelled, refused, rolled back) leaves the register empty: its indexes are
 * built at once, in the undo's last transaction (on empty partitions, a few milliseconds each).
 */
export async function restoreIndexes(tx: Tx, job: { mode: ImportMode | null }): Promise<void> {
  if (job.mode !== 'initial' || !(await anyIndexing(tx))) return;
  for (const p of await pendingBuilds(tx)) await buildPartitionIndex(tx, p.index, p.partition, true);
  await endIndexing(tx);
}

/** While an import's deferred indexes are being built: how many partitions' indexes are built, of all (null otherwise); what the register's pages say. */
export async function indexingProgress(sql: Sql): Promise<{ built: number; total: number } | null> {
  if (!(await anyIndexing(sql))) return null;
  const { total, pending } = await buildProgress(sql);
  return pending > 0 ? { built: total - pending, total } : null;
}
