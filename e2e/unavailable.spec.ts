import { expect, test, type APIRequestContext } from '@playwright/test';
import { E2E_DB_SWITCH } from './auth';
import { bearer, signIn } from './pages';
import { history, importModelFull, withApi } from './setup';

/** Cuts the app off its database (a proxy in between drops every connection and refuses new ones), or gives it back. */
async function database(request: APIRequestContext, state: 'down' | 'up') {
  const res = await request.post(`${E2E_DB_SWITCH}/${state}`);
  expect(res.status()).toBe(204);
}

// An import's page is opened while the database is away: the spec makes one when there is none.
test.beforeAll(async () => {
  await withApi(async (api) => {
    if ((await history(api)).length === 0) await importModelFull(api, 3, 20);
  });
});

test.afterEach(async ({ request }) => {
  await database(request, 'up');
});

test('while the database is away, the API answers 503 with Retry-After, and the pages say so and recover by themselves', async ({ page, request }) => {
  await signIn(page);
  await page.goto('/imports');
  await expect(page.getByRole('heading', { name: 'Imports' })).toBeVisible();
  // Any import's page (there is one at least: see beforeAll).
  const listed = await (await request.get('/api/imports?limit=1', { headers: bearer })).json();
  expect(listed.imports[0], 'an import to open').toBeDefined();
  const anImport = `/imports/${listed.imports[0].id}`;

  await database(request, 'down');
  const api = await request.get('/api/imports', { headers: bearer });
  expect(api.status()).toBe(503);
  expect(api.headers()['retry-after']).toBe('5');
  const body = await api.json();
  expect(body.error.code).toBe('DATABASE_UNAVAILABLE');
  expect(body.error.message).toMatch(/The database is not reachable right now/);

  // The page says what is wrong and keeps asking; once the database is back it shows itself again.
  // The page reloaded while the database is away (a navigation the page's own polling may abort is made again).
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('database-unavailable')).toContainText('The database is unavailable', { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('database-retry')).toContainText(/tried 1 time/, { timeout: 15_000 });
  await database(request, 'up');
  await expect(page.getByRole('heading', { name: 'Imports' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('database-unavailable')).toHaveCount(0);

  // An import's page opened while the database is away says so, keeps asking, and shows the import once it is back.
  await database(request, 'down');
  await expect(async () => {
    await page.goto(anImport);
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('status-error')).toContainText('The database is not reachable right now', { timeout: 30_000 });
  await expect(page.getByTestId('status-error')).toContainText('Retrying…');
  await database(request, 'up');
  await expect(page.getByTestId('job-status')).toBeVisible({ timeout: 40_000 });
  await expect(page.getByTestId('status-error')).toHaveCount(0);
});
