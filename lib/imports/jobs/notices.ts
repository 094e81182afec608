import type { Queryable, Sql } from '../../db/client';
import { appLink, deliverDue, notify, NOTIFY_EVENTS } from '../../notify';
import { env } from '../../env';
import { progressGroups } from '../sql/batches';
import { keptErrorCount } from '../sql/errors';
import { findJob, type JobRow } from '../sql/jobs';
import { JOB, statusLabel } from '../state/machine';
import { formatCount, formatDuration } from '../view/describe';

/**
 * What an import tells people (lib/notify/): that it completed, that it failed (a refused file,
 * the reject threshold passed), that one of its batches failed, or that it stalled, with its
 * summary: extract, type, rows per table, rejected rows, duration and a link to its page.
 * Each is recorded in the transaction of the move it tells of, so it is recorded once, and sent
 * by whichever driver comes by next. A preview tells nobody: its page is its answer.
 */

export type JobNotice =
  | { kind: 'completed' }
  | { kind: 'failed' }
  | { kind: 'batchFailed'; batch: { id: number; tableName: string; operation: string; batchNumber: number }; attempt: number; error: string }
  | { kind: 'stalled'; since: Date; minutes: number; left: string };

/** Records the notice for every channel set; nothing for a preview or when no channel is set. */
export async function noticeOf(tx: Queryable, jobId: number, notice: JobNotice): Promise<number[]> {
  const job = await findJob(tx, jobId);
  if (!job || job.preview) return [];
  const what = `${job.extractType ?? 'extract'} ${job.extractNumber ?? '?'}`;
  const name = `import #${job.id} (${what}, ${job.fileName})`;
  const summary = await summaryOf(tx, job);
  const base = { jobId: job.id, payload: { import: summary.import, link: summary.link, details: summary.details } };
  switch (notice.kind) {
    case 'completed':
      return notify(tx, {
        ...base,
        key: `import:${job.id}:completed`,
        event: NOTIFY_EVENTS.importCompleted,
        subject: `[KBO import] #${job.id} completed: ${what}`,
        text: `${cap(name)} completed in ${formatDuration(summary.import.durationSeconds)}: ${summary.totals}.`,
      });
    case 'failed':
      return notify(tx, {
        ...base,
        key: `import:${job.id}:failed`,
        event: NOTIFY_EVENTS.importFailed,
        subject: `[KBO import] #${job.id} failed: ${what}`,
        text: `${cap(name)} failed: ${job.error?.message ?? 'the file was refused.'} The register was left as it was.`,
      });
    case 'batchFailed': {
      const b = notice.batch;
      return notify(tx, {
        ...base,
        key: `import:${job.id}:batch:${b.id}:failed:${notice.attempt}`,
        event: NOTIFY_EVENTS.batchFailed,
        subject: `[KBO import] #${job.id}: a batch failed (${what})`,
        text: `${cap(name)}: batch ${b.batchNumber + 1} of ${b.tableName} (${b.operation}) failed on attempt ${notice.attempt}: ${notice.error} The import waits for it: retry it on the import's page or with npm run import -- retry ${job.id}.`,
      });
    }
    case 'stalled':
      return notify(tx, {
        ...base,
        key: `import:${job.id}:stalled:${notice.since.getTime()}`,
        event: NOTIFY_EVENTS.importStalled,
        subject: `[KBO import] #${job.id} stalled: ${what}`,
        text: `${cap(name)} has not moved for ${Math.round(notice.minutes)} minutes while ${statusLabel(job.status)}, with ${notice.left} left: nothing is driving it. Open its page, run npm run import -- --job ${job.id}, or check the cron.`,
      });
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The import as a notification carries it: its facts, the rows per table, and one line each to read. */
async function summaryOf(tx: Queryable, job: JobRow) {
  const groups = await progressGroups(tx, job.id);
  const tables: Record<string, { inserted: number; ended: number; unchanged: number }> = {};
  for (const g of groups) {
    const t = (tables[g.table] ??= { inserted: 0, ended: 0, unchanged: 0 });
    t.inserted += g.inserted;
    t.ended += g.ended;
    t.unchanged += g.unchanged;
  }
  const rejected = Math.max(await keptErrorCount(tx, job.id), Number((job.counts as { rejected?: number }).rejected ?? 0));
  const [d] = await tx<{ seconds: number }[]>`
    select extract(epoch from coalesce(finished_at, now()) - created_at)::float8 - paused_seconds as seconds from import_jobs where id = ${job.id}`;
  const sum = (k: 'inserted' | 'ended') => Object.values(tables).reduce((a, t) => a + t[k], 0);
  const link = appLink(`/imports/${job.id}`);
  return {
    link,
    totals: `${formatCount(sum('inserted'))} rows inserted, ${formatCount(sum('ended'))} ended, ${formatCount(rejected)} rejected`,
    details: Object.entries(tables).map(([t, c]) => `${t}: ${formatCount(c.inserted)} inserted, ${formatCount(c.ended)} ended, ${formatCount(c.unchanged)} unchanged`),
    import: {
      id: job.id,
      fileName: job.fileName,
      extractNumber: job.extractNumber,
      extractType: job.extractType,
      snapshotDate: job.snapshotDate,
      mode: job.mode,
      status: job.status,
      rejected,
      durationSeconds: Math.max(0, Math.round(d?.seconds ?? 0)),
      tables,
      error: job.error ?? null,
      link,
    },
  };
}

/**
 * Jobs with work left that nothing drove for NOTIFY_STALL_MINUTES (the cron asks): staging,
 * batches or an undo, not paused (a pause is someone's choice) and not only failed batches
 * waiting for a retry, nor inserts waiting behind a failed delete batch (their failure was told
 * already). Its last move is the latest of its status change, a staged file, a batch or an
 * undo step. Each stall is told once: its key is that move, so a job driven again and left
 * again is told again.
 */
export async function noticeStalls(sql: Sql): Promise<number[]> {
  const minutes = env().NOTIFY_STALL_MINUTES;
  const stalled = await sql<{ id: number; since: Date; minutes: number; left: string }[]>`
    select j.id, a.since, extract(epoch from now() - a.since)::float8 / 60 as minutes,
           case when j.status = ${JOB.preparing} then 'files to stage'
                when j.status = ${JOB.running} then (select count(*) from import_job_batches b where b.job_id = j.id and b.status in ('pending', 'processing'))::text || ' batches'
                else 'an undo' end as left
    from import_jobs j
    cross join lateral (
      select greatest(j.created_at, j.moved_at, j.prepared_at, j.undo_step_at,
                      (select max(step_at) from import_job_files f where f.job_id = j.id),
                      (select max(greatest(b.started_at, b.completed_at)) from import_job_batches b where b.job_id = j.id)) as since
    ) a
    where not j.preview and j.status in (${JOB.preparing}, ${JOB.running}, ${JOB.cancelling}, ${JOB.rolling_back})
      and a.since < now() - make_interval(secs => ${minutes * 60})
      and (j.status <> ${JOB.running} or exists (
            select 1 from import_job_batches b
            where b.job_id = j.id and b.status in ('pending', 'processing')
              -- an insert batch behind its failed delete batch waits for a retry, like the failed one
              and not (b.operation = 'insert' and exists (
                    select 1 from import_job_batches d
                    where d.job_id = b.job_id and d.table_name = b.table_name and d.batch_number = b.batch_number
                      and d.operation = 'delete' and d.status = 'failed'))))`;
  const ids: number[] = [];
  for (const s of stalled) ids.push(...(await noticeOf(sql, s.id, { kind: 'stalled', since: s.since, minutes: s.minutes, left: s.left })));
  return ids;
}

/**
 * Sends what is due within the call's time, and one at least when something is due (a step
 * call has usually spent its budget): any driver's call sends, so none waits on it for long,
 * and a notification goes out with the next call after it was recorded. Watchlists' digests
 * go to addresses readers gave, whose answers no import step should wait on: only the cron
 * (`digests`) sends them.
 */
export async function sendNotices(sql: Sql, deadline: number, digests = false): Promise<void> {
  await deliverDue(sql, { deadline, atLeastOne: true, withoutDigests: !digests });
}
