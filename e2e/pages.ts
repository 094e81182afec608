import path from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import type { z } from 'zod';
import { type faultPlan, setFaults as writeFaultPlan } from '../lib/imports';
import type { JobStatusView } from '../lib/imports/shared';
import { createSql, databaseUrl, resolveDatabaseUrl, type Sql } from '../lib/db/client';
import { E2E_AUTH, E2E_BASE_URL, E2E_DATABASE } from './auth';

/** Where a screenshot goes: docs/ for `npm run screenshots`, else test-results/screenshots. */
export const screenshot = (name: string) => path.resolve(import.meta.dirname, process.env.SCREENSHOTS === '1' ? '../docs' : '../test-results/screenshots', name);

/** The e2e server's database, open for the spec's tests (shared by every spec of a run). */
export function storyDatabase(): () => Sql {
  let sql: Sql | undefined;
  test.beforeAll(async () => {
    sql = createSql(databaseUrl(await resolveDatabaseUrl(), E2E_DATABASE), 1);
  });
  test.afterAll(async () => {
    await sql?.end();
  });
  return () => sql as Sql;
}

export const bearer = { authorization: `Bearer ${E2E_AUTH.API_TOKEN}` };

/** Signs the page's browser context in through the API (the login page has a test of its own). */
export async function signIn(page: Page, password = E2E_AUTH.ADMIN_PASSWORD) {
  const res = await page.request.post('/api/auth/login', { data: { password }, headers: { origin: E2E_BASE_URL } });
  expect(res.ok(), await res.text()).toBe(true);
}

/**
 * The e2e server's fault plan (it runs with IMPORT_TEST_FAULTS=1), written straight into its
 * database: no route of the app sets it. The request is the test's, kept for its call sites.
 */
export async function setFaults(_request: APIRequestContext, plan: z.input<typeof faultPlan>) {
  const sql = createSql(databaseUrl(await resolveDatabaseUrl(), E2E_DATABASE), 1);
  try {
    await writeFaultPlan(sql, plan);
  } finally {
    await sql.end();
  }
}

/** Page object for /imports. */
export class ImportsPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto('/imports');
    await expect(this.page.getByRole('heading', { name: 'Imports', exact: true })).toBeVisible();
  }

  /** The progress page's "Parallel batches" setting, remembered by the browser, for the next import. */
  async setConcurrency(n: number) {
    await this.page.evaluate((v) => window.localStorage.setItem('kbo-import-concurrency', String(v)), n);
  }

  async upload(name: string, bytes: Buffer) {
    await this.page.getByTestId('upload-input').setInputFiles({ name, mimeType: 'application/zip', buffer: bytes });
    await expect(this.page.getByTestId('dropzone')).toContainText(name);
    await this.page.getByTestId('upload-submit').click();
  }

  /** Uploads and waits for the job's progress page; returns its id. */
  async start(name: string, bytes: Buffer): Promise<ProgressPage> {
    await this.upload(name, bytes);
    await expect(this.page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
    const progress = new ProgressPage(this.page);
    await expect(progress.status).toBeVisible();
    return progress;
  }

  error() {
    return this.page.getByTestId('upload-error');
  }

  statuses() {
    return this.page.getByTestId('imports-table').getByTestId('import-status');
  }
}

/** Page object for a job's progress page. */
export class ProgressPage {
  constructor(readonly page: Page) {}

  get status() {
    return this.page.getByTestId('job-status');
  }

  get overall() {
    return this.page.getByTestId('overall-progress');
  }

  async completedBatches(): Promise<number> {
    const text = (await this.page.getByTestId('batches-count').textContent()) ?? '';
    return Number(text.split('/')[0]?.replace(/\D/g, ''));
  }

  async expectStatus(status: string, timeout = 90_000) {
    await expect(this.status).toHaveText(status, { timeout });
  }

  async expectCompleted() {
    await this.expectStatus('completed');
    await expect(this.overall).toHaveAttribute('aria-valuenow', '100');
  }

  /** Waits until at least `n` batches are done (the page is driving). */
  async waitForBatches(n: number) {
    await expect.poll(() => this.completedBatches(), { timeout: 60_000 }).toBeGreaterThanOrEqual(n);
  }

  button(testId: 'pause' | 'resume' | 'cancel' | 'rollback' | 'retry-all' | 'apply' | 'discard') {
    return this.page.getByTestId(testId);
  }

  /** Clicks a confirming button, then confirms in its dialog. */
  async confirm(testId: 'cancel' | 'rollback' | 'apply' | 'discard') {
    await this.button(testId).click();
    await expect(this.page.getByTestId(`${testId}-dialog`)).toBeVisible();
    await this.page.getByTestId(`${testId}-confirm`).click();
  }
}

/** The status of the import whose page is open, from the API. */
export async function statusOfPage(page: Page, request: APIRequestContext): Promise<JobStatusView> {
  return (await request.get(page.url().replace('/imports/', '/api/imports/'), { headers: bearer })).json();
}

/**
 * Waits until no step is in flight on the server: no database session of the app is inside a
 * statement or a transaction (a prepare, batch or undo step holds one from start to commit).
 */
export async function serverSettled(sql: Sql): Promise<void> {
  const busy = async () =>
    (
      await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and state <> 'idle'`
    )[0]?.n;
  await expect.poll(busy, { message: 'the server has no step in flight', timeout: 30_000 }).toBe(0);
}

/**
 * Once the server has no step in flight (serverSettled), `read` gives the same value at every
 * observation: nothing moves. That nothing happens is no event to wait for, so this is a
 * bounded poll: eight observations a quarter of a second apart, all equal to the first.
 */
export async function expectHeldStill(sql: Sql, read: () => Promise<unknown>): Promise<void> {
  await serverSettled(sql);
  const held = await read();
  await expectStill(held, read);
}

/** `read` gives `held` at each of eight observations, a quarter of a second apart (a bounded poll). */
export async function expectStill(held: unknown, read: () => Promise<unknown>): Promise<void> {
  const seen: unknown[] = [];
  await expect.poll(async () => seen.push(await read()), { intervals: [250] }).toBe(8);
  expect(seen).toEqual(seen.map(() => held));
}
