import { expect, test } from '@playwright/test';
import { E2E_BASE_URL } from './auth';
import { bearer, signIn } from './pages';
import { apiRoutes } from './routes';

/** Who may do what: readers (READER_USERS) and API keys read and watch; everything else is for admins. */

const routes = apiRoutes();
const PUBLIC = new Set(['/api/auth/login']);

/** What only reading and watching may use: every other route is for admins. */
const READER_ROUTES = new Set([
  'GET /api/register',
  'GET /api/register/1',
  'GET /api/register/1/history',
  'GET /api/imports/1/changes',
  'POST /api/auth/logout',
  'GET /api/watchlists',
  'POST /api/watchlists',
  'GET /api/watchlists/1',
  'PATCH /api/watchlists/1',
  'DELETE /api/watchlists/1',
  'GET /api/watchlists/1/matches',
  'POST /api/watchlists/1/test',
]);

test('a reader and an API key may read, and are refused (403) on every import, control, sync and key route; a revoked key at once', async ({ playwright, page, browser }) => {
  const reader = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: { origin: E2E_BASE_URL } });
  const login = await reader.post('/api/auth/login', { data: { user: 'reader', password: 'reader-password-0123' } });
  expect(login.status(), await login.text()).toBe(200);
  // A key of its own, made by an admin.
  const admin = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: bearer });
  const made = await admin.post('/api/keys', { data: { name: 'e2e feed', scope: 'read' } });
  expect(made.status()).toBe(201);
  const { id: keyId, key } = (await made.json()) as { id: number; key: string };
  const program = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: { authorization: `Bearer ${key}` } });

  const reading = routes.flatMap(({ url, methods }) => methods.map((method) => ({ method, url }))).filter((r) => !PUBLIC.has(r.url));
  expect(reading.filter((r) => READER_ROUTES.has(`${r.method} ${r.url}`))).toHaveLength(READER_ROUTES.size);
  for (const caller of [reader, program]) {
    for (const { method, url } of reading) {
      if (method === 'POST' && url === '/api/auth/logout') continue; // would end the reader's session
      const res = await caller.fetch(url, { method, data: method === 'GET' ? undefined : {} });
      if (READER_ROUTES.has(`${method} ${url}`)) expect([401, 403], `${method} ${url}`).not.toContain(res.status());
      else {
        expect(res.status(), `${method} ${url}`).toBe(403);
        expect((await res.json()).error.message).toMatch(/^Only an admin may do this: (reader is a reader|the API key "e2e feed" may only read and watch)/);
      }
    }
  }
  const search = await program.get('/api/register?q=a');
  expect(search.status()).toBe(200);
  const listed = (await (await admin.get('/api/keys')).json()) as { keys: { id: number; lastUsedAt: string | null; prefix: string }[] };
  expect(listed.keys.find((k) => k.id === keyId)).toMatchObject({ prefix: key.slice(0, 10), lastUsedAt: expect.stringMatching(/Z$/) });
  expect(JSON.stringify(listed)).not.toContain(key);

  // Revoked on the page: its next request is refused.
  await signIn(page);
  await page.goto('/keys');
  await page.getByTestId(`revoke-${keyId}`).click();
  await page.getByTestId(`revoke-${keyId}-confirm`).click();
  await expect(page.getByTestId('key-row').filter({ hasText: 'e2e feed' }).getByTestId('key-revoked')).toBeVisible();
  expect((await program.get('/api/register?q=a')).status()).toBe(401);

  // A reader's pages: the register; an admin page sends it there, saying why.
  const readerContext = await browser.newContext({ baseURL: E2E_BASE_URL, storageState: await reader.storageState() });
  const readerPage = await readerContext.newPage();
  for (const target of ['/', '/imports', '/sync', '/keys', '/imports/1']) {
    await readerPage.goto(target);
    await expect(readerPage).toHaveURL(/\/register\?admins=/);
    await expect(readerPage.getByTestId('admins-only')).toContainText('is for admins: you are signed in as a reader');
  }
  await expect(readerPage.getByRole('link', { name: 'Imports' })).toHaveCount(0);
  await readerContext.close();
  await Promise.all([reader.dispose(), admin.dispose(), program.dispose()]);
});

test('an admin makes an API key on the page, sees it once, and its prefix after', async ({ page }) => {
  await signIn(page);
  await page.goto('/keys');
  await page.getByTestId('key-name').fill('page-made key');
  await page.getByTestId('key-create').click();
  const key = (await page.getByTestId('key-value').textContent()) ?? '';
  expect(key).toMatch(/^kbo_/);
  await expect(page.getByTestId('key-row').filter({ hasText: 'page-made key' })).toContainText(`${key.slice(0, 10)}…`);
  await page.reload();
  await expect(page.getByTestId('key-value')).toHaveCount(0);
  const res = await page.request.get('/api/register?q=a', { headers: { authorization: `Bearer ${key}` } });
  expect(res.status()).toBe(200);
});

test('a reader and a key keep watchlists of their own through the API: another\'s is not found, an admin sees all', async ({ playwright }) => {
  const reader = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: { origin: E2E_BASE_URL } });
  expect((await reader.post('/api/auth/login', { data: { user: 'reader', password: 'reader-password-0123' } })).status()).toBe(200);
  const admin = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: bearer });
  const { key } = (await (await admin.post('/api/keys', { data: { name: 'watching program', scope: 'read' } })).json()) as { key: string };
  const program = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: { authorization: `Bearer ${key}` } });
  // 100,000 numbers in one body (a CSV's worth): within the route's own limit.
  const numbers = Array.from({ length: 100_000 }, (_, i) => {
    const first8 = String(30_000_000 + i).padStart(8, '0');
    return `${first8}${String(97 - (Number(first8) % 97)).padStart(2, '0')}`;
  });
  const made = await reader.post('/api/watchlists', { data: { name: 'customers', numbers: [...numbers, 'not a number'] } });
  expect(made.status(), await made.text()).toBe(201);
  const created = (await made.json()) as { id: number; secret: string; members: number; invalid: { value: string }[] };
  expect(created).toMatchObject({ members: 100_000, invalid: [{ value: 'not a number' }] });
  const theirs = (await (await program.post('/api/watchlists', { data: { name: 'feed', search: { status: 'AC' } } })).json()) as { id: number };
  expect((await program.get(`/api/watchlists/${created.id}`)).status()).toBe(404);
  expect((await reader.patch(`/api/watchlists/${theirs.id}`, { data: { name: 'x' } })).status()).toBe(404);
  expect(((await (await reader.get('/api/watchlists')).json()) as { watchlists: { id: number }[] }).watchlists.map((w) => w.id)).toEqual([created.id]);
  const all = ((await (await admin.get('/api/watchlists')).json()) as { watchlists: { id: number }[] }).watchlists.map((w) => w.id);
  expect(all).toEqual(expect.arrayContaining([created.id, theirs.id]));
  expect((await program.delete(`/api/watchlists/${theirs.id}`)).status()).toBe(200);
  await Promise.all([reader.dispose(), admin.dispose(), program.dispose()]);
});

