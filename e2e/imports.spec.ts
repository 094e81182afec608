import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { RegisterModel, zipExtract } from '../lib/generator';
import { serveZips } from '../test/helpers/zip-server';
import { bearer, expectHeldStill, ImportsPage, ProgressPage, screenshot, setFaults, signIn, statusOfPage } from './pages';

/** The fields of GET /api/imports/:id these tests compare. */
interface ImportStatus {
  job: { sha256: string; fileSize: number; fileName: string; mode: string; counts: { files: unknown } };
  totals: unknown;
  drift: unknown;
}

const FIXTURE_NAME = 'KboOpenData_0147_2025_10_12_Update.zip';
const fixture = readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/kbo', FIXTURE_NAME));
// The README's screenshots are rewritten only on request (`npm run screenshots`); a plain run keeps them untracked.

// One story on one database, in order: each step builds on the register the previous one left.
test.describe.configure({ mode: 'serial' });

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
  await page.waitForTimeout(2_500);
  const left = await status();
  await page.waitForTimeout(1_500);
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
  await expect(page.getByTestId('concurrency')).toHaveValue('1');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('update 147');

  await progress.waitForBatches(3);
  await expect(page.getByTestId('current-operation')).toContainText(/of batch \d+\/\d+/);
  await expect(page.getByTestId('timeline').locator('.recharts-scatter-symbol').first()).toBeVisible();
  await page.screenshot({ path: screenshot('progress.png'), fullPage: true, animations: 'disabled' });
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toBeVisible();
  // Batches in flight finish; after that nothing moves while paused.
  await page.waitForTimeout(1_000);
  const held = await progress.completedBatches();
  await page.waitForTimeout(2_000);
  expect(await progress.completedBatches()).toBe(held);
  expect(held).toBeLessThan(Number(((await page.getByTestId('batches-count').textContent()) ?? '').split('/')[1]?.replace(/\D/g, '')));

  // The next three process-batch calls hit a failing gateway: the page shows it and backs off.
  let failures = 0;
  await page.route('**/process-batch', (route) => (++failures <= 3 ? route.fulfill({ status: 503, body: 'gateway down' }) : route.fallback()));
  await setFaults(request, {});
  await page.getByTestId('concurrency').selectOption('4');
  await progress.button('resume').click();
  await expect(page.getByTestId('driver-retrying')).toContainText(/The server answered 503\. Retrying in \d+ s \(attempt \d\)/);
  await progress.expectCompleted();
  await expect(page.getByTestId('driver-retrying')).toHaveCount(0);
  expect(failures).toBeGreaterThan(3);
  await expect(progress.button('rollback')).toBeVisible();
});

test('refusals appear as messages on the imports page', async ({ page }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.upload('again.zip', fixture);
  await expect(imports.error()).toContainText('This file was already imported as import #2 (extract 147).');

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

test('a FULL bigger than a request goes in parts (one fails and is sent again) and resyncs the live register; a direct upload gives the same import', async ({ page, request }) => {
  // Extract 149 was missed and rows were corrected upstream: FULL 150 says so.
  model.drift(0.05);
  const resync = model.snapshot(150, '2025-10-16');
  const bytes = await zipExtract(resync);
  const PART = 8 * 1024; // IMPORT_PART_BYTES of the e2e server
  expect(bytes.length).toBeGreaterThan(4 * PART);

  const imports = new ImportsPage(page);
  await imports.open();
  const parts = Math.ceil(bytes.length / PART);
  const sent: number[][] = [[], []];
  let attempt = 0;
  let dropped = false;
  let refused = false;
  await page.route('**/api/uploads/*/parts/*', async (route) => {
    const index = Number(route.request().url().split('/').pop());
    expect(route.request().postDataBuffer()?.length ?? 0).toBeLessThanOrEqual(PART);
    sent[attempt]?.push(index);
    // The connection drops while part 2 is on its way, once; its second try is slow (so the
    // form is seen saying so).
    if (index === 1 && !dropped) {
      dropped = true;
      return route.abort('connectionreset');
    }
    if (index === 1) await new Promise((r) => setTimeout(r, 1_500));
    // The last part is refused once: the upload stops, and resumes when started again.
    if (index === parts - 1 && !refused) {
      refused = true;
      return route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { code: 'VALIDATION', message: 'Refused by the test.' } }) });
    }
    if (attempt === 1) await new Promise((r) => setTimeout(r, 300));
    return route.fallback();
  });
  await imports.upload(resync.fileName, bytes);
  await expect(page.getByTestId('dropzone')).toContainText(`sent in ${parts} parts`);
  await expect(page.getByTestId('upload-retrying')).toContainText('Part 2 failed (The connection dropped.); sending it again (try 2 of 6)…');
  await expect(imports.error()).toHaveText(`Part ${parts} was refused: Refused by the test. Press Import again to resume the upload.`);

  attempt = 1;
  await page.getByTestId('upload-submit').click();
  await expect(page.getByTestId('upload-sent')).toContainText(/resumed: \d+ of \d+ parts were already on the server/);
  await expect(page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
  // Part 2 went twice (dropped, then through); the second start sent only what the server lacked.
  expect(sent[0]?.filter((i) => i === 1)).toHaveLength(2);
  expect(sent[1]).not.toContain(0);
  expect(sent[1]).toContain(parts - 1);
  expect(new Set([...(sent[0] ?? []), ...(sent[1] ?? [])]).size).toBe(parts);

  const progress = new ProgressPage(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('full 150');
  await progress.expectCompleted();
  await expect(page.getByTestId('drift-summary')).toContainText(/^Drift corrected: [\d,]+ rows ended and [\d,]+ inserted in 7 tables; [\d,]+ rows already matched the FULL\.$/);
  await page.getByTestId('drift').screenshot({ path: screenshot('resync.png') });
  const statusOf = async (id: string) => (await (await request.get(`/api/imports/${id}`, { headers: bearer })).json()) as ImportStatus;
  const inParts = await statusOf(page.url().split('/').pop() as string);
  expect(inParts.job.mode).toBe('resync');

  // The same zip uploaded whole (after rolling the first back) makes the same import.
  await progress.confirm('rollback');
  await progress.expectStatus('rolled back', 60_000);
  const direct = await request.post('/api/imports', { headers: bearer, multipart: { file: { name: resync.fileName, mimeType: 'application/zip', buffer: bytes } } });
  expect(direct.status()).toBe(201);
  const id = String(((await direct.json()) as { job: { id: number } }).job.id);
  await page.goto(`/imports/${id}`);
  await progress.expectCompleted();
  const whole = await statusOf(id);
  const same = (s: ImportStatus) => ({ sha256: s.job.sha256, size: s.job.fileSize, name: s.job.fileName, mode: s.job.mode, files: s.job.counts.files, totals: s.totals, drift: s.drift });
  expect(same(whole)).toEqual(same(inParts));
});

test('a zip fetched from a URL by the server, in range requests, is imported', async ({ page }) => {
  const update = await zipExtract(model.update(151, '2025-10-17'));
  const server = await serveZips({ '/KboOpenData_0151_2025_10_17_Update.zip': { bytes: update } });
  try {
    const imports = new ImportsPage(page);
    await imports.open();
    // The same server by another name is a loopback address the server refuses to fetch from.
    await page.getByTestId('url-input').fill(`${server.base.replace('127.0.0.1', 'localhost')}/KboOpenData_0151_2025_10_17_Update.zip`);
    await page.getByTestId('url-submit').click();
    await expect(page.getByTestId('upload-error')).toContainText('points to a loopback, private, link-local or reserved address');
    expect(server.requests).toEqual([]);
    await page.getByTestId('url-input').fill(`${server.base}/KboOpenData_0151_2025_10_17_Update.zip`);
    await page.getByTestId('url-submit').click();
    await expect(page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
    await expect(page.getByRole('heading', { level: 1 })).toContainText('update 151');
    await new ProgressPage(page).expectCompleted();
    // A one-byte probe for the size, then one range per 8 KiB part.
    expect(server.requests[0]?.range).toBe('bytes=0-0');
    expect(server.requests.slice(1)).toHaveLength(Math.ceil(update.length / 8192));
  } finally {
    await server.close();
  }
});

test('paused as the last batch ends, while the page is finalizing: Resume finishes the import', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.setConcurrency(1);
  // The page's finalize call is held until the import is paused, so finalize meets a paused job.
  let release: () => void = () => {};
  const paused = new Promise<void>((r) => (release = r));
  let held = 0;
  await page.route('**/finalize', async (route) => {
    if (++held === 1) await paused;
    await route.fallback();
  });
  const progress = await imports.start('KboOpenData_0152_2025_10_18_Update.zip', await zipExtract(model.update(152, '2025-10-18')));
  await expect.poll(() => held, { timeout: 60_000 }).toBe(1);
  const statusUrl = page.url().replace('/imports/', '/api/imports/');
  expect((await request.post(`${statusUrl}/pause`, { headers: bearer, data: {} })).ok()).toBe(true);
  release();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toContainText('every batch is applied');
  await progress.button('resume').click();
  await progress.expectCompleted();
  await expect(page.getByTestId('driver-error')).toHaveCount(0);

  // The home page says where the register stands now.
  await page.goto('/');
  await expect(page.getByTestId('register-state')).toContainText('At extract 152 (update, snapshot of 2025-10-18)');
  await expect(page.getByTestId('active-import')).toHaveText('No import under way.');
  await expect(page.getByTestId('rows-enterprises').locator('td').nth(1)).toHaveText(model.currentRows('enterprises').length.toLocaleString('en'));
  await page.screenshot({ path: screenshot('home.png'), fullPage: true });

  // The history filters by status and type, and says how many match.
  const imports2 = new ImportsPage(page);
  await imports2.open();
  // The upload button says what the chosen file will do to this register.
  const choose = (name: string) => page.getByTestId('upload-input').setInputFiles({ name, mimeType: 'application/zip', buffer: Buffer.from('PK') });
  await choose('KboOpenData_0153_2025_10_19_Update.zip');
  await expect(page.getByTestId('upload-submit')).toHaveText('Apply update 153');
  await choose('KboOpenData_0160_2025_10_26_Full.zip');
  await expect(page.getByTestId('upload-submit')).toHaveText('Resync with FULL 160');
  await page.getByTestId('filter-status').selectOption('rolled_back');
  await expect(page.getByTestId('history-range')).toHaveText(/^1–\d+ of \d+$/);
  const shown = page.getByTestId('imports-table').getByTestId('import-status');
  await expect(shown.first()).toHaveText('rolled back');
  for (const st of await shown.allTextContents()) expect(st).toBe('rolled back');
  await page.getByTestId('filter-status').selectOption('');
  await page.getByTestId('filter-type').selectOption('update');
  await expect(page.getByTestId('imports-table').getByText('KboOpenData_0152_2025_10_18_Update.zip')).toBeVisible();
  await expect(page.getByTestId('imports-table').locator('tbody tr', { hasText: 'full 146' })).toHaveCount(0);
  // On a phone, a card per import, file names whole.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId('imports-cards').locator('li').first()).toContainText('KboOpenData_0152_2025_10_18_Update.zip');
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await page.screenshot({ path: screenshot('history-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('paused while its files are being staged: nothing is read while paused, and Resume stages on and completes it', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.setConcurrency(1);
  await setFaults(request, { stageDelayMs: 700 });
  const progress = await imports.start('KboOpenData_0153_2025_10_19_Update.zip', await zipExtract(model.update(153, '2025-10-19')));
  await expect(page.getByTestId('staging-progress')).toBeVisible();
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toContainText('Paused while staging the files');
  await expectHeldStill(page, async () => (await statusOfPage(page, request)).job.staging.bytesDone);
  await setFaults(request, {});
  await progress.button('resume').click();
  await progress.expectCompleted();
});

test('paused before its first batch (the one claimed goes back): Resume applies every batch and completes it', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.setConcurrency(1);
  // A claimed batch waits before its transaction, so the pause lands before anything applies.
  await setFaults(request, { stallMs: 6_000 });
  const progress = await imports.start('KboOpenData_0154_2025_10_20_Update.zip', await zipExtract(model.update(154, '2025-10-20')));
  await progress.expectStatus('running', 30_000);
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await page.waitForTimeout(6_500); // the stalled claim finds the job paused and hands its batch back
  await expect(page.getByTestId('batches-count')).toHaveText(/^0 \/ \d+$/);
  await expect(page.getByTestId('paused-note')).toContainText('Resume to carry on from batch 1 of');
  await setFaults(request, {});
  await progress.button('resume').click();
  await progress.expectCompleted();
});

test('a rollback paused between its undo steps holds still, and Resume finishes it', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  const progress = await imports.start('KboOpenData_0155_2025_10_21_Update.zip', await zipExtract(model.update(155, '2025-10-21')));
  await progress.expectCompleted();
  await setFaults(request, { undoDelayMs: 700 });
  await progress.confirm('rollback');
  await progress.expectStatus('rolling back', 10_000);
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toContainText('Paused while being rolled back');
  await expect(progress.button('cancel')).toHaveCount(0);
  await expectHeldStill(page, async () => (await statusOfPage(page, request)).job.undo);
  await setFaults(request, {});
  await progress.button('resume').click();
  await progress.expectStatus('rolled back', 60_000);
});
