import { spawn } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { databaseUrl, resolveDatabaseUrl } from '../lib/db/client';
import { KBO_TABLES, type DataTableName } from '../lib/kbo/spec';
import { sampleFiles } from '../scripts/samples';
import { E2E_AUTH, E2E_DATABASE, E2E_PORT } from './auth';
import { ImportsPage, ProgressPage, screenshot, signIn, storyDatabase } from './pages';
import { emptyRegister, withApi } from './setup';

/**
 * What a newcomer meets on the samples of `npm run dev` (FULL 146, UPDATEs 147–149, FULL 151
 * resyncing over a missed 150): every page's numbers agree with each other and with the
 * database, codes read as text, and each page says why when something is missing or off.
 * One story, in order, from an empty register.
 */
test.describe.configure({ mode: 'serial', timeout: 360_000 });

const db = storyDatabase();
let samples: Awaited<ReturnType<typeof sampleFiles>> = [];
const jobs = new Map<number, number>(); // extract -> import id

test.beforeAll(async () => {
  await withApi((api) => emptyRegister(api, db()));
  samples = await sampleFiles();
});

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

const TABLES = KBO_TABLES.map((t) => t.table);
const digits = (text: string | null) => Number((text ?? '').replace(/\D/g, ''));

/** Uploads the sample of extract `n` and waits until it completed and its change list is worked out. */
async function importSample(page: Page, n: number): Promise<ProgressPage> {
  const sample = samples.find((s) => s.name.startsWith(`KboOpenData_${String(n).padStart(4, '0')}_`));
  expect(sample, `a sample of extract ${n}`).toBeTruthy();
  const imports = new ImportsPage(page);
  await imports.open();
  const progress = await imports.start(sample!.name, sample!.bytes);
  await progress.expectCompleted();
  jobs.set(n, Number(page.url().split('/').pop()));
  // The change list is worked out in parts after completion (a resync's: one per batch, 124 here).
  await expect(page.getByTestId('changes-initial').or(page.getByTestId('changes-summary'))).toBeVisible({ timeout: 240_000 });
  return progress;
}

/** Rows of `table` extract n started and ended, per key, each row as its content (the file's columns). */
async function movesOf(table: DataTableName, n: number): Promise<Map<string, { started: string[]; ended: string[] }>> {
  const spec = KBO_TABLES.find((t) => t.table === table)!;
  const columns = spec.columns.map((c) => c.column);
  const rows = await db()<{ k: string; h: string; s: boolean }[]>`
    select ${db()(spec.key)} as k, row(${db()(columns)})::text as h, extract_number = ${n} as s
    from ${db()(table)} where extract_number = ${n} or deleted_at_extract = ${n}`;
  const out = new Map<string, { started: string[]; ended: string[] }>();
  for (const r of rows) {
    const m = out.get(r.k) ?? { started: [], ended: [] };
    (r.s ? m.started : m.ended).push(r.h);
    out.set(r.k, m);
  }
  return out;
}

const sameRows = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

test('FULL 146: the progress page, its change section and the database count the same rows, at a believable rate', async ({ page }) => {
  const progress = await importSample(page, 146);
  for (const table of TABLES) {
    const [r] = await db()<{ n: number }[]>`select count(*)::int as n from ${db()(table)} where is_current`;
    const counts = await page.getByTestId(`table-${table}`).getByTestId('table-counts').textContent();
    expect(digits(/inserted ([\d,\s ]+)/.exec(counts ?? '')?.[1] ?? ''), `${table} inserted`).toBe(r!.n);
    await expect(page.locator(`[data-testid="changes-loaded-table"][data-table="${table}"]`)).toHaveAttribute('data-rows', String(r!.n));
  }
  // The rate is rows over the time batches ran, so at most the rows over the longest batch.
  const [b] = await db()<{ rows: number; ms: number }[]>`
    select sum(row_count)::int as rows, max(duration_ms)::int as ms from import_job_batches where job_id = ${jobs.get(146)!}`;
  const rate = await page.getByTestId('rows-per-second').textContent();
  expect(rate).toMatch(/\d/);
  expect(digits(rate)).toBeLessThanOrEqual(Math.ceil(b!.rows / (b!.ms / 1000)));
  // Nothing rejected: no report of rejected rows is offered.
  await expect(page.getByTestId('report-none-rejected')).toBeVisible();
  await expect(page.getByTestId('report-csv')).toHaveCount(0);
  await expect(progress.button('pause')).toHaveCount(0);
});

test("UPDATEs 147–149: the change list counts entities, says how many it leaves out as re-issued unchanged, and the progress page's rows agree", async ({ page }) => {
  for (const n of [147, 148]) await importSample(page, n);
  await importSample(page, 149);
  await expect(page.getByTestId('changes-explained')).toBeVisible();
  let reissuedSomewhere = 0;
  for (const table of TABLES) {
    const moves = await movesOf(table, 149);
    const reissued = [...moves.values()].filter((m) => sameRows(m.started, m.ended)).length;
    const listed = [...moves.values()].filter((m) => !sameRows(m.started, m.ended));
    reissuedSomewhere += reissued;
    const row = page.locator(`[data-testid="changes-summary-row"][data-table="${table}"]`);
    const cells = (await row.locator('td').allTextContents()).map(digits);
    // table, added, ended, modified, re-issued unchanged
    expect(cells.slice(1, 4).reduce((a, x) => a + x, 0), `${table}: entities listed`).toBe(listed.length);
    expect(cells[4], `${table}: re-issued unchanged`).toBe(reissued);
    // The progress page counts rows: all the import started and ended, re-issued ones included.
    const started = [...moves.values()].reduce((a, m) => a + m.started.length, 0);
    const ended = [...moves.values()].reduce((a, m) => a + m.ended.length, 0);
    if ((await page.getByTestId(`table-${table}`).count()) === 0) {
      expect(started + ended, `${table}: no batches, no rows`).toBe(0); // a table the UPDATE has no rows for
      continue;
    }
    const counts = (await page.getByTestId(`table-${table}`).getByTestId('table-counts').textContent()) ?? '';
    expect(digits(/inserted ([\d,\s ]+)/.exec(counts)?.[1] ?? ''), `${table} inserted`).toBe(started);
    expect(digits(/ended ([\d,\s ]+)/.exec(counts)?.[1] ?? ''), `${table} ended`).toBe(ended);
    if (reissued > 0) await expect(page.getByTestId(`table-${table}`).getByTestId('table-reissued')).toContainText(`of these, ${reissued.toLocaleString('en')}`);
  }
  expect(reissuedSomewhere, 'the samples re-issue some entities unchanged').toBeGreaterThan(0);
  await page.getByTestId('changes-summary').screenshot({ path: screenshot('newcomer-changes.png') });
});

test('FULL 151 (150 missed): "before" shows extract 149, an extract never imported says which one it shows, and an enterprise the resync ended shows what is left of it', async ({ page }) => {
  await importSample(page, 151);
  const before = page.getByTestId('change-row').filter({ hasText: 'modified' }).first().getByTestId('change-before');
  await expect(before).toHaveAttribute('href', /\?asOf=149$/);
  await before.click();
  await expect(page.getByTestId('as-of-text')).toHaveText('As it stood just after extract 149 (UPDATE, snapshot 2025-10-14).');

  const [someone] = await db()<{ n: string }[]>`select enterprise_number as n from enterprises where is_current limit 1`;
  await page.goto(`/register/${someone!.n}?asOf=150`);
  await expect(page.getByTestId('as-of-text')).toHaveText('Extract 150 was never imported: this is the register as extract 149 (UPDATE, snapshot 2025-10-14) left it.');

  // The resync's drift dropped some enterprise rows while the FULL still lists their names.
  const [ended] = await db()<{ n: string }[]>`
    select e.enterprise_number as n from enterprises e
    where e.deleted_at_extract = 151 and not exists (select 1 from enterprises c where c.enterprise_number = e.enterprise_number and c.is_current)
      and exists (select 1 from denominations d where d.entity_number = e.enterprise_number and d.is_current)
    limit 1`;
  expect(ended, 'an enterprise the resync ended, its names still current').toBeTruthy();
  await page.goto(`/register/${ended!.n}`);
  await expect(page.getByTestId('entity-own-ended')).toContainText(`The register holds no enterprise row for ${ended!.n} now`);
  await expect(page.getByTestId('entity-denominations').locator('tbody tr').first()).toBeVisible();
});

test('the register: one row per entity, the same texts on every page, from a real code table, on a phone too', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  // Home counts what the register holds, table by table.
  await page.goto('/');
  for (const table of TABLES) {
    const [r] = await db()<{ n: number }[]>`select count(*)::int as n from ${db()(table)} where is_current`;
    await expect(page.getByTestId(`rows-${table}`).locator('td').last(), table).toHaveText(r!.n.toLocaleString('en'));
  }
  for (const table of KBO_TABLES.filter((t) => t.oneRowPerKey)) {
    const twice = await db()`select 1 from ${db()(table.table)} where is_current group by ${db()(table.key)} having count(*) > 1`;
    expect(twice.length, `${table.table}: a key current twice`).toBe(0);
  }

  // A name that is not the entity's main one finds it, and the hit says which name matched.
  const [other] = await db()<{ n: string; name: string }[]>`
    select d.entity_number as n, d.denomination as name from denominations d join enterprises e on e.enterprise_number = d.entity_number and e.is_current
    where d.is_current and d.type_of_denomination = '003' and d.denomination <> e.primary_name order by d.entity_number limit 1`;
  await page.goto(`/register?q=${encodeURIComponent(other!.name)}`);
  const hit = page.getByTestId('register-hit').filter({ hasText: other!.n });
  await expect(hit.getByTestId('hit-matched-name')).toHaveText(`found by the name ${other!.name}`);

  // Statuses and forms read as text, the same in the results and on the entity page.
  const status = (await hit.getByTestId('hit-status').textContent())?.trim();
  expect(status).not.toMatch(/^(AC|—)$/);
  await hit.locator('a').first().click();
  await expect(page.getByTestId('entity-facts')).toContainText(`Status${status}`);
  await expect(page.getByTestId('entity-activities').locator('tbody tr').first().locator('td').nth(1)).not.toHaveText('—');
  await page.goto('/register');
  expect(await page.locator('select[name="status"] option').count(), 'statuses beside "Any status"').toBeGreaterThan(1);

  // German where the code table has none: the page says the texts are Dutch.
  await page.goto(`/register/${other!.n}`);
  await page.getByTestId('lang-de').click();
  await expect(page.getByTestId('code-fallback')).toContainText('no German text for some codes: those are shown in Dutch');

  // A phone: each hit a card with its status and address.
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`/register?q=${encodeURIComponent(other!.name)}`);
  const card = page.getByTestId('register-card').filter({ hasText: other!.n });
  await expect(card.getByTestId('card-status')).toBeVisible();
  await expect(card).toContainText(/\d{4} /); // the postcode of its address
  await page.screenshot({ path: screenshot('newcomer-phone.png') });
  expect(errors.filter((e) => /same key|unique "key"/i.test(e))).toEqual([]);
});

test('without a portal account, Import daily update says it is off, which variables turn it on, where, and that a restart follows', async ({ page }) => {
  // The same build, started as a newcomer starts it: no KBO_PORTAL_USER or KBO_PORTAL_PASSWORD.
  const port = E2E_PORT + 5;
  const env: NodeJS.ProcessEnv = { ...process.env, ...E2E_AUTH, DATABASE_URL: databaseUrl(await resolveDatabaseUrl(), E2E_DATABASE) };
  delete env.KBO_PORTAL_USER;
  delete env.KBO_PORTAL_PASSWORD;
  const server = spawn('npx', ['next', 'start', '-p', String(port), '-H', '127.0.0.1'], { env, stdio: 'ignore', detached: true });
  try {
    const base = `http://127.0.0.1:${port}`;
    await expect.poll(async () => (await page.request.get(`${base}/login`).catch(() => null))?.status() ?? 0, { timeout: 60_000 }).toBe(200);
    const login = await page.request.post(`${base}/api/auth/login`, { data: { password: E2E_AUTH.ADMIN_PASSWORD }, headers: { origin: base } });
    expect(login.ok()).toBe(true);
    for (const path of ['/imports', '/sync']) {
      await page.goto(`${base}${path}`);
      const setup = page.getByTestId('sync-setup');
      await expect(setup).toContainText('Import daily update is off');
      await expect(setup).toContainText('KBO_PORTAL_USER');
      await expect(setup).toContainText('KBO_PORTAL_PASSWORD');
      await expect(setup).toContainText('.env.local');
      await expect(setup).toContainText('restart the app');
    }
    await expect(page.getByTestId('sync-start')).toHaveCount(0);
  } finally {
    if (server.pid) process.kill(-server.pid, 'SIGTERM');
  }
});
