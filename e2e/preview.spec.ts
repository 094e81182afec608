import { expect, test } from '@playwright/test';
import { zipExtract, type RegisterModel } from '../lib/generator';
import { KBO_TABLES } from '../lib/kbo/spec';
import { E2E_DB_SWITCH } from './auth';
import { ImportsPage, screenshot, signIn, storyDatabase } from './pages';
import { dayOf, importModelFull, withApi } from './setup';

/**
 * A preview in the browser: "Preview first" on the upload form stages the file and works out
 * what it would do, the register untouched; its page lists the changes; Apply imports it from
 * what was staged, and the import then did exactly what the preview said; Discard drops another.
 */
test.describe.configure({ mode: 'serial', timeout: 180_000 });

const db = storyDatabase();
let model: RegisterModel;
let base = 0;

test.beforeAll(async () => {
  await withApi(async (api) => ({ model, base } = await importModelFull(api, 5, 80)));
});

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

/** Rows any register table holds of extract `n` (started or ended by it). */
async function rowsOf(n: number): Promise<number> {
  let rows = 0;
  for (const t of KBO_TABLES) rows += (await db()<{ n: number }[]>`select count(*)::int as n from ${db()(t.table)} where extract_number = ${n} or deleted_at_extract = ${n}`)[0]!.n;
  return rows;
}

test('preview an UPDATE: read what it would change with the register untouched, then apply it; discard the next one', async ({ page }) => {
  const n = base + 1;
  const update = model.update(n, dayOf(n), 0.2);
  const imports = new ImportsPage(page);
  await imports.open();
  await page.getByTestId('upload-preview').check();
  await page.getByTestId('upload-input').setInputFiles({ name: update.fileName, mimeType: 'application/zip', buffer: await zipExtract(update) });
  await expect(page.getByTestId('upload-submit')).toHaveText('Preview this file');
  await page.getByTestId('upload-submit').click();
  await expect(page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
  const id = Number(page.url().split('/').pop());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Preview #${id}: update ${n}`);
  await expect(page.getByTestId('job-status')).toHaveText('previewed', { timeout: 90_000 });
  await expect(page.getByTestId('preview-note')).toContainText(`Preview worked out; the register has not changed. Applying extract ${n} would insert`);
  await expect(page.getByRole('heading', { name: 'What applying it would change' })).toBeVisible();
  const summary = page.getByTestId('changes-summary');
  await expect(summary).toBeVisible({ timeout: 30_000 });
  const said = await summary.textContent();
  expect(said).toMatch(/enterprises/);
  const entities = page.getByTestId('changes-list').locator('tbody tr');
  await expect(entities.first()).toBeVisible();
  expect(await rowsOf(n)).toBe(0);
  await page.screenshot({ path: screenshot('preview.png'), fullPage: false });
  // The history marks it, its counts struck through: nothing was applied.
  await imports.open();
  await expect(page.getByTestId('imports-table').locator('tr', { hasText: `#${id}` }).getByTestId('import-preview')).toBeVisible();
  await page.goto(`/imports/${id}`);

  await page.getByTestId('apply').click();
  await expect(page.getByTestId('apply-dialog')).toBeVisible();
  await page.getByTestId('apply-confirm').click();
  await expect(page.getByTestId('job-status')).toHaveText('completed', { timeout: 90_000 });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Import #${id}: update ${n}`);
  await expect(page.getByTestId('preview-note')).toHaveText('Previewed first, then applied from the rows the preview staged.');
  await expect(page.getByRole('heading', { name: 'What this import changed' })).toBeVisible();
  await expect(summary).toBeVisible({ timeout: 60_000 });
  expect(await summary.textContent()).toBe(said);
  expect(await rowsOf(n)).toBeGreaterThan(0);
  // Its completion was told, by webhook and by email, and the page shows both delivered; the preview told nobody.
  const told = page.getByTestId('notifications').getByTestId('notification');
  await expect(told.filter({ hasText: 'import.completed' })).toHaveCount(2, { timeout: 30_000 });
  await expect(told.locator('[data-testid="notification-outcome"]').filter({ hasText: /^delivered/ })).toHaveCount(2, { timeout: 30_000 });
  await expect(told.filter({ hasText: 'email: desk@example.org' })).toHaveCount(1);
  const heard = (await (await fetch(`${E2E_DB_SWITCH}/heard`)).json()) as { webhook: { key: string; body: { event: string; import?: { id: number } } }[]; mails: { subject: string }[] };
  expect(heard.webhook.filter((w) => w.key === `import:${id}:completed`)).toHaveLength(1);
  expect(heard.webhook.find((w) => w.key === `import:${id}:completed`)?.body).toMatchObject({ event: 'import.completed', import: { id } });
  expect(heard.mails.filter((m) => m.subject === `[KBO import] #${id} completed: update ${n}`)).toHaveLength(1);
  const enterprises = await db()<{ n: number }[]>`select count(*)::int as n from enterprises where is_current`;
  expect(enterprises[0]!.n).toBe(model.currentRows('enterprises').length);

  // The next one, previewed and discarded: nothing left of it.
  const next = model.update(n + 1, dayOf(n + 1), 0.2);
  await imports.open();
  await page.getByTestId('upload-preview').check();
  const progress = await imports.start(next.fileName, await zipExtract(next));
  await progress.expectStatus('previewed');
  const second = Number(page.url().split('/').pop());
  await progress.confirm('discard');
  await progress.expectStatus('discarded');
  await expect(page.getByTestId('preview-note')).toHaveText('Preview discarded on request. The register never changed.');
  await expect(page.getByTestId('apply')).toHaveCount(0);
  expect(await rowsOf(n + 1)).toBe(0);
  const staged = await db()<{ n: number }[]>`select count(*)::int as n from import_staging_enterprises where job_id = ${second}`;
  expect(staged[0]!.n).toBe(0);
});
