import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { RegisterModel, zipExtract } from '../lib/generator';
import { bearer, expectStill, ImportsPage, ProgressPage, screenshot, serverSettled, setFaults, signIn, statusOfPage, storyDatabase } from './pages';
import { emptyRegister, withApi } from './setup';

const FIXTURE_NAME = 'KboOpenData_0147_2025_10_12_Update.zip';
const fixture = readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/kbo', FIXTURE_NAME));
// The README's screenshots are rewritten only on request (`npm run screenshots`); a plain run keeps them untracked.

// One story, in order: each step builds on the register the previous one left. It starts from
// an empty register (a FULL into empty tables, the real extract 147 on it, a history of its own
// imports only), so it empties what other specs left in the shared database first.
test.describe.configure({ mode: 'serial' });

const db = storyDatabase();
test.beforeAll(async () => {
  await withApi((api) => emptyRegister(api, db()));
});

const model = new RegisterModel(1);
const full = model.full(146, 500, '2025-10-10');
const update148 = model.update(148, '2025-10-13');

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test.afterEach(async ({ request }) => {
  await setFaults(request, {});
});

test('a FULL prepared in steps by two tabs at once; with every tab closed nothing moves, and reopening the page finishes it', async ({ page, context, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  // Each prepare step outlasts the 1.5 s budget, so a call makes one step: slow enough to
  // watch, and the calls in flight when the tabs leave cannot finish all 8 files.
  await setFaults(request, { stageDelayMs: 1_600 });
  await imports.setConcurrency(1); // per tab: two tabs, two workers
  const progress = await imports.start(full.fileName, await zipExtract(full));
  await expect(page.getByRole('heading', { level: 1 })).toContainText('full 146');
  const url = page.url();
  const statusUrl = url.replace('/imports/', '/api/imports/');
  const status = async () => (await (await request.get(statusUrl, { headers: bearer })).json()) as { job: { status: string; staging: { filesDone: number; bytesDone: number } } };

  // A second tab on the same job: both run prepare steps, each on a file of its own.
  const second = await context.newPage();
  await second.goto(url);
  await expect(page.getByTestId('staging-progress')).toContainText(/Checking and staging \w+\.csv \(file \d+ of 8\)/);
  await expect.poll(async () => (await status()).job.staging.filesDone, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

  // Both tabs leave. Steps already running finish within their budget; then nothing moves.
  await second.close();
  await imports.open();
  await serverSettled(db()); // the steps in flight have committed
  const left = await status();
  await expectStill(left.job.staging.bytesDone, async () => (await status()).job.staging.bytesDone);
  const later = await status();
  expect(later.job.staging.bytesDone).toBe(left.job.staging.bytesDone);
  expect(later.job.status).toBe('preparing');

  await setFaults(request, {});
  await page.goto(url);
  await progress.expectCompleted();
  for (const row of await page.getByTestId('table-state').all()) await expect(row).toHaveText('done');
  const rows = (await page.getByTestId('rows-count').textContent()) ?? '';
  const [done, total] = rows.split('/').map((x) => x.trim());
  expect(done).toBe(total);
});

/** The import that applied the real extract 147 (#2 on a fresh database). */
let applied147 = '';

test('the real update 147 on top: staging followed on upload; pause mid-way holds still; after resume, 503s are shown and retried; it completes', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await setFaults(request, { delayMs: 400, stageDelayMs: 250 });
  await imports.setConcurrency(1);
  await imports.upload(FIXTURE_NAME, fixture);
  // The form follows the server's staging, file by file, before opening the progress page.
  await expect(page.getByTestId('staging-progress')).toContainText(/Checking and staging \w+\.csv \(file \d+ of \d+\) · [\d,]+ rows staged/);
  await expect(page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
  const progress = new ProgressPage(page);
  applied147 = page.url().split('/').pop() as string;
  await expect(page.getByTestId('concurrency')).toHaveValue('1');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('update 147');

  await progress.waitForBatches(3);
  await expect(page.getByTestId('current-operation')).toContainText(/of batch \d+\/\d+/);
  await expect(page.getByTestId('timeline').locator('.recharts-scatter-symbol').first()).toBeVisible();
  await page.screenshot({ path: screenshot('progress.png'), fullPage: true, animations: 'disabled' });
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toBeVisible();
  // Batches in flight finish (the API counts none processing), the page shows them; after that nothing moves while paused.
  await expect.poll(async () => (await statusOfPage(page, request)).batches.processing, { timeout: 30_000 }).toBe(0);
  const { batches } = await statusOfPage(page, request);
  await expect(page.getByTestId('batches-count')).toHaveText(new RegExp(`^${batches.completed} / `));
  const held = await progress.completedBatches();
  await expectStill(held, () => progress.completedBatches());
  expect(await progress.completedBatches()).toBe(held);
  expect(held).toBeLessThan(Number(((await page.getByTestId('batches-count').textContent()) ?? '').split('/')[1]?.replace(/\D/g, '')));

  // The next three step calls hit a failing gateway: the page shows it and backs off.
  let failures = 0;
  await page.route('**/step', (route) => (++failures <= 3 ? route.fulfill({ status: 503, body: 'gateway down' }) : route.fallback()));
  await setFaults(request, {});
  await page.getByTestId('concurrency').selectOption('4');
  await progress.button('resume').click();
  await expect(page.getByTestId('driver-retrying')).toContainText(/The server answered 503\. Retrying in \d+ s \(attempt \d\)/);
  await progress.expectCompleted();
  await expect(page.getByTestId('driver-retrying')).toHaveCount(0);
  expect(failures).toBeGreaterThan(3);
  await expect(progress.button('rollback')).toBeVisible();
  // Its change list, then its matching (planned even with no watchlist), are worked out after
  // completion by this page's drivers: the page stays until both are done, and shows the list.
  await expect
    .poll(async () => {
      const { changeList, watch } = await statusOfPage(page, request);
      return changeList.total > 0 && changeList.done === changeList.total && !watch.pending && watch.done === watch.total;
    }, { timeout: 30_000 })
    .toBe(true);
  await expect(page.getByTestId('changes-summary-row').first()).toBeVisible();
});

test('refusals appear as messages on the imports page', async ({ page }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.upload('again.zip', fixture);
  // Its change list and matching are done (the story waited for them): nothing is said to be still worked out.
  await expect(imports.error()).toHaveText(`This file was already imported as import #${applied147} (extract 147).`);

  await imports.upload('garbage.zip', Buffer.from('this is not a zip file at all'));
  await expect(imports.error()).toContainText('The upload is not a readable zip file');

  const skipped = model.update(150, '2025-10-15');
  await imports.upload(skipped.fileName, await zipExtract(skipped));
  await expect(imports.error()).toContainText('UPDATE 150 is out of sequence: the last applied extract is 147, so the next one must be 148.');
  await expect(page).toHaveURL(/\/imports$/);
});

test('a failing batch shows Retry, and Retry completes the import; then it can be rolled back', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await setFaults(request, { failBatches: 1, table: 'activities' });
  const progress = await imports.start(update148.fileName, await zipExtract(update148));

  const failure = page.getByTestId('failures').locator('li');
  await expect(failure).toHaveCount(1, { timeout: 60_000 });
  await expect(failure).toContainText('Injected test fault in batch');
  await expect(page.getByTestId('failed-note')).toBeVisible();
  await progress.expectStatus('running');
  await failure.getByTestId('retry-batch').click();
  await progress.expectCompleted();
  await expect(page.getByTestId('failures')).toHaveCount(0);

  const report = await request.get(page.url().replace('/imports/', '/api/imports/') + '/report', { headers: bearer });
  expect(report.ok()).toBe(true);
  const body = await report.json();
  expect(body.job.status).toBe('completed');
  expect(body.tables.find((t: { table: string; operation: string }) => t.table === 'activities' && t.operation === 'insert')).toBeTruthy();

  await progress.confirm('rollback');
  await progress.expectStatus('rolled back', 60_000);
  await expect(page.getByTestId('undo-progress')).toContainText('Undone');
});

test('cancel undoes a running import; the history shows every outcome', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await setFaults(request, { delayMs: 500 });
  await imports.setConcurrency(1);
  const progress = await imports.start(update148.fileName, await zipExtract(update148));
  await progress.waitForBatches(2);
  await progress.confirm('cancel');
  await progress.expectStatus('cancelled', 60_000);
  await expect(page.getByTestId('undo-progress')).toContainText('Undone');
  for (const row of await page.getByTestId('table-state').all()) await expect(row).toHaveText('undone');

  // On a phone, nothing spills sideways (the history table scrolls inside its own box).
  await page.setViewportSize({ width: 390, height: 844 });
  // (the chart follows its box on the next resize observation, hence the poll)
  const fits = () => expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await fits();
  if (process.env.E2E_PHONE_SHOTS) await page.screenshot({ path: '/tmp/phone-progress.png', fullPage: true });
  await imports.open();
  await fits();
  if (process.env.E2E_PHONE_SHOTS) await page.screenshot({ path: '/tmp/phone-imports.png', fullPage: true });

  await expect(imports.statuses()).toHaveText(['cancelled', 'rolled back', 'completed', 'completed']);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: screenshot('imports.png'), fullPage: true });
});

test('bad rows are skipped by default: the import completes, says how many, and offers them as CSV', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  const text = update148.files['denomination_insert.csv'] as string;
  const files = { ...update148.files, 'denomination_insert.csv': `${text}"0200.000.044","2","001","Bad check digits"\n` };
  const progress = await imports.start('with-a-bad-row.zip', await zipExtract({ ...update148, files }));
  await progress.expectCompleted();
  await expect(page.getByTestId('rejected-note')).toContainText('1 bad row was rejected and not imported (mode: continue).');
  const csv = await request.get(page.url().replace('/imports/', '/api/imports/') + '/report?format=csv', { headers: bearer });
  expect(await csv.text()).toContain('"denomination_insert.csv","' + (text.split('\n').filter(Boolean).length + 1) + '","EntityNumber","0200.000.044","INVALID_NUMBER"');
  await imports.open();
  await expect(page.getByTestId('imports-table').locator('tbody tr').first()).toContainText('with 1 rejected');
});
