import { expect, test } from '@playwright/test';
import { zipExtract, type RegisterModel } from '../lib/generator';
import { bearer, expectHeldStill, ImportsPage, screenshot, setFaults, signIn, statusOfPage, storyDatabase } from './pages';
import { dayOf, history, importModelFull, rollBack, withApi } from './setup';

// An import paused at each of its stages, and resumed. In order: each UPDATE follows the last.
test.describe.configure({ mode: 'serial' });

const db = storyDatabase();
/** The generator's register, loaded by a FULL numbered `base`; the tests' UPDATEs follow it. */
let model: RegisterModel;
let base = 0;
test.beforeAll(async () => {
  await withApi(async (api) => {
    // The history's filter is tried on rolled-back imports: one is made when there is none yet.
    if ((await history(api, ['rolled_back'])).length === 0) await rollBack(api, (await importModelFull(api, 2, 20)).id);
    ({ model, base } = await importModelFull(api));
  });
});

/** The zip name of extract `n` as the register publishes it. */
const zipName = (n: number, type: 'Full' | 'Update') => `KboOpenData_${String(n).padStart(4, '0')}_${dayOf(n).replaceAll('-', '_')}_${type}.zip`;

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test.afterEach(async ({ request }) => {
  await setFaults(request, {});
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
  const update = model.update(base + 1, dayOf(base + 1));
  const progress = await imports.start(update.fileName, await zipExtract(update));
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
  await expect(page.getByTestId('register-state')).toContainText(`At extract ${base + 1} (update, snapshot of ${dayOf(base + 1)})`);
  await expect(page.getByTestId('active-import')).toHaveText('No import under way.');
  await expect(page.getByTestId('rows-enterprises').locator('td').nth(1)).toHaveText(model.currentRows('enterprises').length.toLocaleString('en'));
  await page.screenshot({ path: screenshot('home.png'), fullPage: true });

  // The history filters by status and type, and says how many match.
  const imports2 = new ImportsPage(page);
  await imports2.open();
  // The upload button says what the chosen file will do to this register.
  const choose = (name: string) => page.getByTestId('upload-input').setInputFiles({ name, mimeType: 'application/zip', buffer: Buffer.from('PK') });
  await choose(zipName(base + 2, 'Update'));
  await expect(page.getByTestId('upload-submit')).toHaveText(`Apply update ${base + 2}`);
  await choose(zipName(base + 9, 'Full'));
  await expect(page.getByTestId('upload-submit')).toHaveText(`Resync with FULL ${base + 9}`);
  await page.getByTestId('filter-status').selectOption('rolled_back');
  await expect(page.getByTestId('history-range')).toHaveText(/^1–\d+ of \d+$/);
  const shown = page.getByTestId('imports-table').getByTestId('import-status');
  await expect(shown.first()).toHaveText('rolled back');
  for (const st of await shown.allTextContents()) expect(st).toBe('rolled back');
  await page.getByTestId('filter-status').selectOption('');
  await page.getByTestId('filter-type').selectOption('update');
  await expect(page.getByTestId('imports-table').getByText(update.fileName)).toBeVisible();
  await expect(page.getByTestId('imports-table').locator('tbody tr', { hasText: `full ${base}` })).toHaveCount(0);
  // On a phone, a card per import, file names whole.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId('imports-cards').locator('li').first()).toContainText(update.fileName);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await page.screenshot({ path: screenshot('history-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('paused while its files are being staged: nothing is read while paused, and Resume stages on and completes it', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.setConcurrency(1);
  await setFaults(request, { stageDelayMs: 700 });
  const progress = await imports.start(zipName(base + 2, 'Update'), await zipExtract(model.update(base + 2, dayOf(base + 2))));
  await expect(page.getByTestId('staging-progress')).toBeVisible();
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toContainText('Paused while staging the files');
  await expectHeldStill(db(), async () => (await statusOfPage(page, request)).job.staging?.bytesDone);
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
  const progress = await imports.start(zipName(base + 3, 'Update'), await zipExtract(model.update(base + 3, dayOf(base + 3))));
  await progress.expectStatus('running', 30_000);
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  // The stalled claim finds the job paused and hands its batch back: the API counts none processing.
  await expect.poll(async () => (await statusOfPage(page, request)).batches.processing, { timeout: 30_000 }).toBe(0);
  await expect(page.getByTestId('batches-count')).toHaveText(/^0 \/ \d+$/);
  await expect(page.getByTestId('paused-note')).toContainText('Resume to carry on from batch 1 of');
  await setFaults(request, {});
  await progress.button('resume').click();
  await progress.expectCompleted();
});

test('a rollback paused between its undo steps holds still, and Resume finishes it', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  const progress = await imports.start(zipName(base + 4, 'Update'), await zipExtract(model.update(base + 4, dayOf(base + 4))));
  await progress.expectCompleted();
  await setFaults(request, { undoDelayMs: 700 });
  await progress.confirm('rollback');
  await progress.expectStatus('rolling back', 10_000);
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  await expect(page.getByTestId('paused-note')).toContainText('Paused while being rolled back');
  await expect(progress.button('cancel')).toHaveCount(0);
  await expectHeldStill(db(), async () => (await statusOfPage(page, request)).job.undo);
  await setFaults(request, {});
  await progress.button('resume').click();
  await progress.expectStatus('rolled back', 60_000);
});

test('an action the import has moved past (cancelled from elsewhere) is refused with its reason, and the page then shows where it stands', async ({ page, request }) => {
  const imports = new ImportsPage(page);
  await imports.open();
  await imports.setConcurrency(1);
  await setFaults(request, { stallMs: 6_000 });
  // The rollback above left the register at base + 3: the next UPDATE is base + 4 again.
  const progress = await imports.start(zipName(base + 4, 'Update'), await zipExtract(model.update(base + 4, dayOf(base + 4))));
  await progress.expectStatus('running', 30_000);
  await progress.button('pause').click();
  await progress.expectStatus('paused', 10_000);
  // The page stops hearing about the import (its status reads held), and another client cancels it.
  const statusUrl = page.url().replace('/imports/', '/api/imports/');
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  await page.route(statusUrl, async (route) => {
    await held;
    await route.fallback();
  });
  expect((await request.post(`${statusUrl}/cancel`, { headers: bearer, data: {} })).ok()).toBe(true);
  // Resume, clicked on the page that still says paused: refused, and the page says why.
  await progress.button('resume').click();
  await expect(page.getByTestId('action-error')).toContainText('only a paused import can be resumed');
  release();
  await progress.expectStatus('cancelled', 60_000);
  await setFaults(request, {});
});
