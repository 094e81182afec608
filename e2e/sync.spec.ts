import { expect, test } from '@playwright/test';
import { RegisterModel, zipExtract } from '../lib/generator';
import { E2E_DB_SWITCH } from './auth';
import { bearer, screenshot, signIn, storyDatabase } from './pages';
import { history, importModelFull, withApi } from './setup';

// The sync follows the register from where it stands; the spec loads one first when it holds none.
const db = storyDatabase();
test.beforeAll(async () => {
  await withApi(async (api) => {
    if ((await history(api, ['completed'])).length === 0) await importModelFull(api);
  });
});

test('Import daily update syncs from the portal: the plan, each import, the register up to date, the run in the history', async ({ page, request }) => {
  // The portal imitation beside the app publishes the next two UPDATEs after where the register is.
  const [last] = await db()<{ n: number }[]>`select extract_number as n from import_jobs where status = 'completed' order by id desc limit 1`;
  const at = last?.n ?? 0;
  const [before] = await db()<{ id: number }[]>`select coalesce(max(id), 0)::int as id from import_jobs`;
  expect(at, 'the register is at some extract').toBeGreaterThan(0);
  const model = new RegisterModel(77);
  model.full(at, 3000, '2025-11-01'); // numbered far from the story's enterprises; never published
  for (const [n, day] of [[at + 1, '2025-11-02'], [at + 2, '2025-11-03']] as const) {
    const extract = model.update(n, day, 0.002);
    const res = await request.put(`${E2E_DB_SWITCH}/portal/${extract.fileName}`, { data: await zipExtract(extract) });
    expect(res.status()).toBe(204);
  }

  await signIn(page);
  await page.goto('/imports');
  await page.getByTestId('sync-link').click();
  await expect(page).toHaveURL(/\/sync$/);
  await page.getByTestId('sync-start').click();
  await expect(page.getByTestId('sync-plan')).toHaveText(`2 to import after extract ${at}: ${at + 1}, ${at + 2}.`);
  await expect(page.getByTestId('sync-message')).toHaveText(`The register is up to date: extract ${at + 2}.`, { timeout: 60_000 });
  await expect(page.getByTestId('sync-start')).toHaveText('Import daily update');
  await expect(page.getByTestId('sync-status')).toContainText(`extract ${at + 2}, snapshot 2025-11-03`);
  await expect(page.getByTestId('sync-status')).toContainText('up to date');
  const run = page.getByTestId('sync-run').first();
  await expect(run).toContainText('up to date');
  await expect(run).toContainText(`${at + 1}, ${at + 2}`);
  const jobs = await db()<{ n: number; status: string }[]>`select extract_number as n, status from import_jobs where id > ${before?.id ?? 0} order by id`;
  expect(jobs).toEqual([
    { n: at + 1, status: 'completed' },
    { n: at + 2, status: 'completed' },
  ]);

  // Again: nothing new, nothing imported.
  await page.getByTestId('sync-start').click();
  await expect(page.getByTestId('sync-message')).toHaveText(`The register is at extract ${at + 2}, the portal's newest: nothing to do.`);
  expect(await db()`select 1 from import_jobs where id > ${before?.id ?? 0}`).toHaveLength(2);
  await page.screenshot({ path: screenshot('sync.png'), fullPage: true, animations: 'disabled' });
  const status = await (await request.get('/api/sync', { headers: bearer })).json();
  expect(status).toMatchObject({ configured: true, behind: 0, register: { extractNumber: at + 2 }, portal: { newest: at + 2 } });
});
