import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/client';
import { ImportFailure, isImportFailure } from '../../errors';
import { activeJob, findJob, JOB, lastCompletedExtract } from '../../imports';
import { checkMinutes } from '../config';
import { planSync, type PlannedFile } from '../plan';
import type { Portal } from '../portal';
import { endRun, insertRun, noteRunJob, openRun, type NewRun, type SyncRunRow } from '../sql/runs';
import { checkDue, recordCheck, recordCheckFailure, takeLease } from '../sql/state';
import { SYNC_OUTCOME, SYNC_STEP, SYNC_TRIGGER, type SyncStepState, type SyncTrigger } from '../state';
import { describePlan, SAID } from '../view/messages';
import { alertAfter } from './alerts';
import { fetchFile } from './fetch';

/** What one sync step did, and where the sync stands. */
export interface SyncProgress {
  /**
   * `busy`: another sync holds the lease; `checked`: nothing new (or no check due); `planned`;
   * `fetching`; `importing` (an import to drive); `waiting`: an import is paused, and the sync
   * waits for it to be resumed or cancelled; `done`; `error`.
   */
  state: SyncStepState;
  run: SyncRunRow | null;
  /** The import to drive now (state `importing`). */
  jobId: number | null;
  /** The file being fetched: bytes so far of its size. */
  fetch: { name: string; bytes: number; size: number } | null;
  message: string;
}

export interface SyncStepOptions {
  trigger: SyncTrigger;
  holder: string;
  /** Stop fetching parts after this time (epoch ms); at least one part per step. */
  deadline: number;
  /** Ask the portal's listing now, however recent the last check (the CLI, the page's button). */
  check: boolean;
}

/**
 * One bounded step of a sync, the same for the CLI, the cron route and the page: with an
 * import under way, say so (the caller drives it with the engine's own driver); with a run in
 * progress, fetch the next file of its plan in parts (resuming what is stored) and start its
 * import once every part is in; with none, ask the portal's listing (when `check` or when the
 * last check is older than SYNC_CHECK_MINUTES) and plan. Errors end the run, saying why.
 */
export async function syncStep(sql: Sql, portal: Portal, opts: SyncStepOptions): Promise<SyncProgress> {
  const p = await step(sql, portal, opts);
  await alertAfter(sql, { state: p.state, message: p.message, runId: p.run?.id ?? null });
  return p;
}

/** A holder name for one process's syncs. */
export function newHolder(trigger: SyncTrigger): string {
  return `${trigger}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

async function step(sql: Sql, portal: Portal, opts: SyncStepOptions): Promise<SyncProgress> {
  if (!(await takeLease(sql, opts.holder))) return progress(SYNC_STEP.busy, null, SAID.busy);
  let run = (await openRun(sql, SYNC_OUTCOME.inProgress)) ?? null;
  try {
    const active = await activeJob(sql);
    if (active) {
      const job = active;
      // A paused import is an admin's choice, not a failure: the sync waits for it.
      if (active.status === JOB.paused) return progress(SYNC_STEP.waiting, run, SAID.paused(job));
      return { ...progress(SYNC_STEP.importing, run, SAID.underWay(job)), jobId: active.id };
    }
    return run ? await carryOn(sql, portal, run, opts.deadline) : await checkAndPlan(sql, portal, opts);
  } catch (err) {
    const message = isImportFailure(err) ? err.message : SAID.unexpected;
    if (!isImportFailure(err)) console.error('[kbo-import] sync failed', err);
    await recordCheckFailure(sql, message);
    run = run ? await endRun(sql, run.id, SYNC_OUTCOME.error, message) : await recordRun(sql, { trigger: opts.trigger, newest: null, plan: [], outcome: SYNC_OUTCOME.error, error: message });
    return progress(SYNC_STEP.error, run, message);
  }
}

/** No run in progress: ask the portal's listing when a check is due, and plan a run. */
async function checkAndPlan(sql: Sql, portal: Portal, opts: SyncStepOptions): Promise<SyncProgress> {
  if (!opts.check && !(await checkDue(sql, checkMinutes()))) return progress(SYNC_STEP.checked, null, SAID.notDue);
  const at = (await lastCompletedExtract(sql)) ?? null;
  const listed = await portal.listing();
  const plan = planSync(at, listed);
  const newest = listed.length ? listed.reduce((a, b) => (b.number > a.number ? b : a)) : null;
  await recordCheck(sql, newest);
  if (!plan.ok) throw new ImportFailure('PRECONDITION_FAILED', plan.reason);
  if (plan.steps.length === 0) {
    // A scheduled check that finds nothing new leaves no run behind.
    const run = opts.trigger === SYNC_TRIGGER.cron ? null : await recordRun(sql, { trigger: opts.trigger, at, newest: plan.newest, plan: [], outcome: SYNC_OUTCOME.upToDate });
    return progress(SYNC_STEP.checked, run, SAID.nothingNew(at));
  }
  const files = plan.steps.map((s) => ({ ...s.file, kind: s.kind }));
  const run = await recordRun(sql, { trigger: opts.trigger, at, newest: plan.newest, plan: files, outcome: SYNC_OUTCOME.inProgress });
  return progress(SYNC_STEP.planned, run, describePlan(at, plan.steps));
}

/** A run in progress: fetch its next file, start its import, or end the run once all are in. */
async function carryOn(sql: Sql, portal: Portal, run: SyncRunRow, deadline: number): Promise<SyncProgress> {
  const file = await nextFile(sql, run);
  if (!file) {
    const ended = await endRun(sql, run.id, SYNC_OUTCOME.upToDate, null);
    return progress(SYNC_STEP.done, ended, SAID.upToDate((await lastCompletedExtract(sql)) ?? null));
  }
  const job = run.jobs[file.name];
  if (job !== undefined) {
    // The file's import ended without applying it (refused, cancelled, rolled back): the run stops.
    throw new ImportFailure('PRECONDITION_FAILED', SAID.notApplied(file.name, job, await findJob(sql, job)));
  }
  const fetched = await fetchFile(sql, portal, file, deadline);
  if (fetched.jobId === null) {
    const fetch = { name: file.name, bytes: fetched.bytes, size: fetched.size };
    return { ...progress(SYNC_STEP.fetching, run, SAID.fetching(file.name, fetched.bytes, fetched.size)), fetch };
  }
  await noteRunJob(sql, run.id, file.name, fetched.jobId);
  const noted = { ...run, jobs: { ...run.jobs, [file.name]: fetched.jobId } };
  return { ...progress(SYNC_STEP.importing, noted, SAID.importing(file.name, fetched.jobId)), jobId: fetched.jobId };
}

/** The first file of the plan the register does not hold yet (null: the plan is done). */
async function nextFile(sql: Sql, run: SyncRunRow): Promise<PlannedFile | null> {
  const at = (await lastCompletedExtract(sql)) ?? null;
  for (const file of run.plan) {
    const job = run.jobs[file.name];
    if (job !== undefined) {
      const j = await findJob(sql, job);
      if (j?.status === JOB.completed && j.extractNumber !== file.number) {
        throw new ImportFailure('PRECONDITION_FAILED', SAID.wrongExtract(file.name, j.extractNumber, file.number));
      }
      if (j?.status === JOB.completed) continue;
      return file;
    }
    // Imported some other way (an upload, the CLI) since the plan was made.
    if (at !== null && file.number <= at) continue;
    return file;
  }
  return null;
}

/** A run recorded; `at` defaults to the register's extract now. */
async function recordRun(sql: Sql, r: Omit<NewRun, 'at' | 'open'> & { at?: number | null }): Promise<SyncRunRow> {
  const at = r.at !== undefined ? r.at : ((await lastCompletedExtract(sql)) ?? null);
  return insertRun(sql, { ...r, at, open: r.outcome === SYNC_OUTCOME.inProgress });
}

function progress(state: SyncStepState, run: SyncRunRow | null, message: string): SyncProgress {
  return { state, run, jobId: null, fetch: null, message };
}
