import { expect, request, type APIRequestContext, type APIResponse } from '@playwright/test';
import { addDays, RegisterModel, zipExtract } from '../lib/generator';
import { ACTIVE_STATUSES, didWork, nextMove, snapshotOf, type JobStatus, type JobStatusView, type JobSummary } from '../lib/imports/shared';
import type { Sql } from '../lib/db/client';
import { E2E_BASE_URL } from './auth';
import { bearer } from './pages';

/**
 * What a spec sets up for itself before its tests (a `test.beforeAll`): imports made through
 * the API with the generator's extracts, driven as a progress page drives them (step calls,
 * then finalize) and waited for by polling the API. The specs share one server and one database
 * in a full run, so these look first at what is there and import only what is missing.
 */

/** An API client of the e2e server with the API token, for a `beforeAll` (the `request` fixture is per test). */
export async function withApi<T>(run: (api: APIRequestContext) => Promise<T>): Promise<T> {
  const api = await request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: bearer });
  try {
    return await run(api);
  } finally {
    await api.dispose();
  }
}

async function ok<T>(res: APIResponse): Promise<T> {
  expect(res.ok(), `${res.url()} answered ${res.status()}: ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

/** The import history, newest first (optionally only some statuses). */
export async function history(api: APIRequestContext, statuses: readonly JobStatus[] = []): Promise<JobSummary[]> {
  const query = statuses.length ? `&status=${statuses.join(',')}` : '';
  return (await ok<{ imports: JobSummary[] }>(await api.get(`/api/imports?limit=500${query}`))).imports;
}

/** One step call, and finalize once it says every batch is done: what an open progress page does. */
async function driveOnce(api: APIRequestContext, id: number): Promise<JobStatusView> {
  const step = await ok<{ processed: unknown[]; undone: unknown[]; prepared: unknown[]; progress: JobStatusView }>(await api.post(`/api/imports/${id}/step`, { data: {} }));
  if (nextMove(snapshotOf(step.progress, didWork(step))) !== 'finalize') return step.progress;
  return ok<JobStatusView>(await api.post(`/api/imports/${id}/finalize`, { data: {} }));
}

/**
 * Drives the import on until the API reports it `status` with nothing left to finish (a
 * completed import's statistics and change list included); each poll is one call that moves it.
 */
async function driveUntil(api: APIRequestContext, id: number, status: JobStatus): Promise<void> {
  const state = (p: JobStatusView) => (nextMove(snapshotOf(p, false)) === 'again' ? `${p.job.status} (finishing)` : p.job.status);
  await expect
    .poll(async () => state(await driveOnce(api, id)), { message: `import #${id} reaches ${status}`, timeout: 120_000, intervals: [100] })
    .toBe(status);
}

/**
 * An active import blocks every other: waits until none is. One that another spec left
 * behind is driven on meanwhile, as its page would (a paused one stays, and this times out).
 */
export async function waitForNoActiveImport(api: APIRequestContext): Promise<void> {
  await expect
    .poll(
      async () => {
        // A preview does not count: it holds nobody up.
        const [active] = (await history(api, ACTIVE_STATUSES)).filter((j) => !j.preview);
        if (active) await driveOnce(api, active.id);
        return active ? `#${active.id} ${active.status}` : 'none';
      },
      { message: 'no import is active', timeout: 120_000 },
    )
    .toBe('none');
}

/** Imports a generated extract through the API and drives it until it completes; returns the import's id. */
export async function importExtract(api: APIRequestContext, extract: Parameters<typeof zipExtract>[0]): Promise<number> {
  await waitForNoActiveImport(api);
  const res = await api.post('/api/imports', { multipart: { file: { name: extract.fileName, mimeType: 'application/zip', buffer: await zipExtract(extract) } } });
  const { job } = await ok<JobStatusView>(res);
  await driveUntil(api, job.id, 'completed');
  return job.id;
}

/** Rolls a completed import back through the API and drives the undo to its end. */
export async function rollBack(api: APIRequestContext, id: number): Promise<void> {
  await ok(await api.post(`/api/imports/${id}/rollback`, { data: {} }));
  await driveUntil(api, id, 'rolled_back');
}

/** The first extract number no import has used yet (a FULL numbered so is never out of sequence). */
export async function nextExtract(api: APIRequestContext, atLeast = 146): Promise<number> {
  return Math.max(atLeast, ...(await history(api)).map((j) => (j.extractNumber ?? 0) + 1));
}

/** A snapshot date per extract number, one day apart, as the register publishes them. */
export const dayOf = (extract: number) => addDays('2025-10-10', extract - 146);

/**
 * A register of the generator's (seed 1, 500 enterprises, as the imports story starts with)
 * loaded by a FULL numbered after every import there; returns the model, which now matches
 * the register's current rows, and the FULL's extract number.
 */
export async function importModelFull(api: APIRequestContext, seed = 1, enterprises = 500): Promise<{ model: RegisterModel; base: number; id: number }> {
  await waitForNoActiveImport(api);
  const base = await nextExtract(api);
  const model = new RegisterModel(seed);
  const id = await importExtract(api, model.full(base, enterprises, dayOf(base)));
  return { model, base, id };
}

/**
 * For a story that starts from nothing: once no import is active, empties every table of the
 * app (the register, the history, uploads, syncs) when another spec left something there. Ids
 * go on from where they were (the server keeps readers of a job's zip by its id for a while).
 */
export async function emptyRegister(api: APIRequestContext, sql: Sql): Promise<void> {
  await waitForNoActiveImport(api);
  if ((await history(api)).length === 0) return;
  const tables = await sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public'`;
  await sql`truncate ${sql(tables.map((t) => t.name))} cascade`;
}
