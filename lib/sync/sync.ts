import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/client';
import { env } from '../env';
import { ImportFailure, isImportFailure } from '../errors';
import { activeJob, completeUpload, fetchMissingParts, findJob, JOB, lastCompletedExtract, loadUpload, maxUploadBytes, PORTAL_SCHEME, sharedUpload, tooBig, unstartedUploadOf } from '../imports';
import { alertOnSuccess, alertsConfigured, lagAlertDue, lagDays, maxLagDays, sendAlert } from './alerts';
import { planSync, type PortalFile, type SyncStep } from './plan';
import { KboPortal, type Portal } from './portal';
import { ALERT, alertsAfter, CHECK_OK, SYNC_OUTCOME, SYNC_STEP, type SyncStepState } from './state';

const LEASE_SECONDS = 120;

export type SyncTrigger = 'cli' | 'cron' | 'page';

/** A portal account is set (KBO_PORTAL_USER and KBO_PORTAL_PASSWORD): the app may sync. */
export function portalConfigured(): boolean {
  const e = env();
  return Boolean(e.KBO_PORTAL_USER && e.KBO_PORTAL_PASSWORD);
}

/** The portal of the configuration, or null when no account is set. */
export function portalFromEnv(): Portal | null {
  const e = env();
  return portalConfigured() ? new KboPortal(e.KBO_PORTAL_URL, e.KBO_PORTAL_USER as string, e.KBO_PORTAL_PASSWORD as string) : null;
}

export interface SyncRunRow {
  id: number;
  trigger: string;
  outcome: string;
  startedAt: Date;
  finishedAt: Date | null;
  fromExtract: number | null;
  newestOnPortal: number | null;
  plan: (PortalFile & { kind: SyncStep['kind'] })[];
  jobs: Record<string, number>;
  error: string | null;
}

const runColumns = (sql: Sql) => sql`
  id, trigger, outcome, started_at as "startedAt", finished_at as "finishedAt", from_extract as "fromExtract",
  newest_on_portal as "newestOnPortal", plan, jobs, error`;

/** The latest runs, newest first. */
export async function recentRuns(sql: Sql, limit: number): Promise<SyncRunRow[]> {
  const runs = await sql<SyncRunRow[]>`select ${runColumns(sql)} from sync_runs order by id desc limit ${limit}`;
  // The client hands timestamptz over as text.
  return runs.map((r) => ({ ...r, startedAt: new Date(r.startedAt), finishedAt: r.finishedAt ? new Date(r.finishedAt) : null }));
}

async function openRun(sql: Sql): Promise<SyncRunRow | undefined> {
  const [run] = await sql<SyncRunRow[]>`select ${runColumns(sql)} from sync_runs where outcome = ${SYNC_OUTCOME.inProgress} order by id desc limit 1`;
  return run;
}

/**
 * Takes the sync's lease (or renews it) for `holder`: false while another holder's lease
 * runs. A crashed holder's lease runs out, and the next one carries on its run.
 */
export async function takeLease(sql: Sql, holder: string): Promise<boolean> {
  await sql`insert into sync_state (id) values (1) on conflict (id) do nothing`;
  const taken = await sql`
    update sync_state set lease_holder = ${holder}, lease_until = now() + make_interval(secs => ${LEASE_SECONDS})
    where id = 1 and (lease_until is null or lease_until < now() or lease_holder = ${holder}) returning 1`;
  return taken.length === 1;
}

export async function releaseLease(sql: Sql, holder: string): Promise<void> {
  await sql`update sync_state set lease_holder = null, lease_until = null where id = 1 and lease_holder = ${holder}`;
}

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
export async function syncStep(db: Sql, portal: Portal, opts: SyncStepOptions): Promise<SyncProgress> {
  const p = await step(db, portal, opts);
  await alertAfter(db, p);
  return p;
}

/** Alerts: every failure; a lag past SYNC_MAX_LAG_DAYS (once a day while it lasts); a success, if asked. */
async function alertAfter(sql: Sql, p: SyncProgress): Promise<void> {
  if (!alertsConfigured() || !alertsAfter(p.state)) return;
  const lag = await lagDays(sql);
  const base = { registerExtract: lag.at, portalNewest: lag.newest, lagDays: lag.days, runId: p.run?.id ?? null };
  if (p.state === SYNC_STEP.error) {
    await sendAlert(sql, { kind: ALERT.failure, text: `the sync failed: ${p.message}`, ...base });
  } else if (p.state === SYNC_STEP.done && alertOnSuccess()) {
    await sendAlert(sql, { kind: ALERT.success, text: p.message, ...base });
  }
  if (lag.days !== null && lag.days > maxLagDays() && (await lagAlertDue(sql))) {
    await sendAlert(sql, {
      kind: ALERT.lag,
      text: `the register is at extract ${lag.at}, ${lag.days} days behind the portal's newest (${lag.newest}); more than the ${maxLagDays()} allowed (SYNC_MAX_LAG_DAYS).`,
      ...base,
    });
  }
}

async function step(sql: Sql, portal: Portal, opts: SyncStepOptions): Promise<SyncProgress> {
  if (!(await takeLease(sql, opts.holder))) return progress(SYNC_STEP.busy, null, 'Another sync is under way; this one leaves it alone.');
  let run = await openRun(sql);
  try {
    const active = await activeJob(sql);
    if (active) {
      // A paused import is an admin's choice, not a failure: the sync waits for it.
      if (active.status === JOB.paused) return progress(SYNC_STEP.waiting, run ?? null, `Import #${active.id} (extract ${active.extract_number}) is paused; resume or cancel it, and the sync carries on.`);
      return { ...progress(SYNC_STEP.importing, run ?? null, `Import #${active.id} (extract ${active.extract_number}) is under way.`), jobId: active.id };
    }
    if (!run) {
      if (!opts.check && !(await checkDue(sql))) return progress(SYNC_STEP.checked, null, 'Checked the portal recently; nothing to do until the next check.');
      const at = (await lastCompletedExtract(sql)) ?? null;
      const listed = await portal.listing();
      const plan = planSync(at, listed);
      const newest = listed.length ? listed.reduce((a, b) => (b.number > a.number ? b : a)) : null;
      await sql`update sync_state set last_check_at = now(), last_check_outcome = ${CHECK_OK}, newest_on_portal = ${newest?.number ?? null},
                newest_date = ${newest?.date ?? null} where id = 1`;
      if (!plan.ok) throw new ImportFailure('PRECONDITION_FAILED', plan.reason);
      if (plan.steps.length === 0) {
        if (opts.trigger !== 'cron') run = await recordRun(sql, opts.trigger, at, plan.newest, [], SYNC_OUTCOME.upToDate);
        return progress(SYNC_STEP.checked, run ?? null, at === null ? 'The portal lists nothing to import.' : `The register is at extract ${at}, the portal's newest: nothing to do.`);
      }
      run = await recordRun(sql, opts.trigger, at, plan.newest, plan.steps, SYNC_OUTCOME.inProgress);
      return progress(SYNC_STEP.planned, run, describePlan(at, plan.steps));
    }
    const step = await nextStep(sql, run);
    if (!step) {
      run = await endRun(sql, run.id, SYNC_OUTCOME.upToDate, null);
      const at = await lastCompletedExtract(sql);
      return progress(SYNC_STEP.done, run, `The register is up to date: extract ${at}.`);
    }
    const job = run.jobs[step.name];
    if (job !== undefined) {
      const j = await findJob(sql, job);
      // The step's import ended without applying it (refused, cancelled, rolled back): the run stops.
      throw new ImportFailure('PRECONDITION_FAILED', `Import #${job} of ${step.name} ended ${j?.status ?? 'missing'} without applying it${j?.error ? `: ${j.error.message}` : ''}.`);
    }
    const fetched = await fetchFile(sql, portal, step, opts.deadline);
    if (fetched.jobId === null) return { ...progress(SYNC_STEP.fetching, run, `Fetching ${step.name}: ${fetched.bytes} of ${fetched.size} bytes.`), fetch: { name: step.name, bytes: fetched.bytes, size: fetched.size } };
    await sql`update sync_runs set jobs = jobs || ${JSON.stringify({ [step.name]: fetched.jobId })}::jsonb where id = ${run.id}`;
    run = { ...run, jobs: { ...run.jobs, [step.name]: fetched.jobId } };
    return { ...progress(SYNC_STEP.importing, run, `Importing ${step.name} as import #${fetched.jobId}.`), jobId: fetched.jobId };
  } catch (err) {
    const message = isImportFailure(err) ? err.message : 'The sync stopped on an unexpected error; the details are in the server log.';
    if (!isImportFailure(err)) console.error('[kbo-import] sync failed', err);
    // A failed check counts as a check: the cron asks again only when the next one is due
    // (a wrong password is not tried every minute).
    await sql`update sync_state set last_check_at = now(), last_check_outcome = ${message} where id = 1`;
    run = run ? await endRun(sql, run.id, SYNC_OUTCOME.error, message) : await recordRun(sql, opts.trigger, (await lastCompletedExtract(sql)) ?? null, null, [], SYNC_OUTCOME.error, message);
    return progress(SYNC_STEP.error, run, message);
  }
}

function progress(state: SyncProgress['state'], run: SyncRunRow | null, message: string): SyncProgress {
  return { state, run, jobId: null, fetch: null, message };
}

/** "3 behind: 171, 172, 173", or how the register will be loaded or resynced. */
export function describePlan(at: number | null, steps: SyncStep[]): string {
  const numbers = steps.map((s) => `${s.file.number}${s.kind === 'update' ? '' : ` (${s.kind === 'load' ? 'FULL, load' : 'FULL, resync'})`}`).join(', ');
  if (at === null) return `The register is empty: ${numbers}.`;
  return `${steps.length} to import after extract ${at}: ${numbers}.`;
}

async function checkDue(sql: Sql): Promise<boolean> {
  const [s] = await sql<{ due: boolean }[]>`
    select last_check_at is null or last_check_at < now() - make_interval(mins => ${env().SYNC_CHECK_MINUTES}) as due from sync_state where id = 1`;
  return s?.due ?? true;
}

async function recordRun(
  sql: Sql,
  trigger: SyncTrigger,
  at: number | null,
  newest: number | null,
  steps: SyncStep[],
  outcome: string,
  error: string | null = null,
): Promise<SyncRunRow> {
  const plan = steps.map((s) => ({ ...s.file, kind: s.kind }));
  const [run] = await sql<SyncRunRow[]>`
    insert into sync_runs (trigger, outcome, from_extract, newest_on_portal, plan, error, finished_at)
    values (${trigger}, ${outcome}, ${at}, ${newest}, ${JSON.stringify(plan)}::jsonb, ${error},
            case when ${outcome}::text = ${SYNC_OUTCOME.inProgress} then null else now() end)
    returning ${runColumns(sql)}`;
  return run as SyncRunRow;
}

async function endRun(sql: Sql, runId: number, outcome: string, error: string | null): Promise<SyncRunRow> {
  const [run] = await sql<SyncRunRow[]>`
    update sync_runs set outcome = ${outcome}, error = ${error}, finished_at = now() where id = ${runId} returning ${runColumns(sql)}`;
  return run as SyncRunRow;
}

/** The first file of the plan the register does not hold yet (null: the plan is done). */
async function nextStep(sql: Sql, run: SyncRunRow): Promise<(PortalFile & { kind: SyncStep['kind'] }) | null> {
  const at = (await lastCompletedExtract(sql)) ?? null;
  for (const step of run.plan) {
    const job = run.jobs[step.name];
    if (job !== undefined) {
      const j = await findJob(sql, job);
      if (j?.status === JOB.completed && j.extractNumber !== step.number) {
        throw new ImportFailure('PRECONDITION_FAILED', `${step.name} holds extract ${j.extractNumber} by its meta.csv, not ${step.number} as its name says; the sync stops here.`);
      }
      if (j?.status === JOB.completed) continue;
      return step;
    }
    // Imported some other way (an upload, the CLI) since the plan was made.
    if (at !== null && step.number <= at) continue;
    return step;
  }
  return null;
}

/**
 * Fetches a portal file into an upload of its own, a range request per part until the
 * deadline (at least one part), resuming the parts stored by an earlier run; once every part
 * is in, starts its import through the same path as any upload.
 */
async function fetchFile(sql: Sql, portal: Portal, file: PortalFile, deadline: number): Promise<{ jobId: number | null; bytes: number; size: number }> {
  const url = `${PORTAL_SCHEME}${file.name}`;
  let uploadId = await unstartedUploadOf(sql, url);
  if (uploadId === undefined) {
    const size = await portal.size(file.name);
    if (size > maxUploadBytes()) throw tooBig(file.name, size);
    uploadId = await sharedUpload(sql, { fileName: file.name, size, url, options: {} });
  }
  const u = await loadUpload(sql, uploadId);
  const view = await fetchMissingParts(
    sql,
    u,
    deadline,
    (start, end) => portal.range(file.name, start, end),
    (got, start, end) => new ImportFailure('PORTAL_UNAVAILABLE', `The KBO portal sent ${got} bytes of ${file.name} for bytes ${start}–${end}; the next sync asks again.`),
  );
  if (view.received.length < u.parts) return { jobId: null, bytes: view.bytesReceived, size: u.size };
  // A sync running at the same moment (or an upload of the same file) may have made its import:
  // this sync follows that import instead of being refused as a repeat.
  const { jobId } = await completeUpload(sql, uploadId, null, { joinSameFile: true });
  return { jobId, bytes: u.size, size: u.size };
}

/** A holder name for one process's syncs. */
export function newHolder(trigger: SyncTrigger): string {
  return `${trigger}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
