import { request as httpRequest } from 'node:http';
import { expect, test } from '@playwright/test';
import { E2E_AUTH, E2E_BASE_URL } from './auth';
import { bearer, signIn } from './pages';
import { apiRoutes } from './routes';
import { history, importModelFull, withApi } from './setup';

const routes = apiRoutes();
const PUBLIC = new Set(['/api/auth/login']);

/** An import that exists (the spec makes one when there is none), for the bare request to drive. */
let anImport = 0;
test.beforeAll(async () => {
  anImport = await withApi(async (api) => (await history(api))[0]?.id ?? (await importModelFull(api, 3, 20)).id);
});

test('every API route refuses a caller without a session or token, and a bad token', async ({ playwright }) => {
  expect(routes.length).toBeGreaterThanOrEqual(14);
  const anonymous = await playwright.request.newContext({ baseURL: E2E_BASE_URL });
  for (const { url, methods } of routes.filter((r) => !PUBLIC.has(r.url))) {
    for (const method of methods) {
      for (const headers of [{ origin: E2E_BASE_URL }, { authorization: 'Bearer not-the-token-0123456789abcdef' }] as Record<string, string>[]) {
        const res = await anonymous.fetch(url, { method, headers, data: method === 'GET' ? undefined : {} });
        expect(res.status(), `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        expect((await res.json()).error.code).toBe('UNAUTHORIZED');
      }
    }
  }
  await anonymous.dispose();
});

test('every state-changing route refuses a signed-in browser request from another site', async ({ page }) => {
  await signIn(page);
  for (const { url, methods } of routes) {
    for (const method of methods.filter((m) => m !== 'GET')) {
      for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
        const res = await page.request.fetch(url, { method, headers, data: {} });
        expect(res.status(), `${method} ${url} ${JSON.stringify(headers)}`).toBe(403);
        expect((await res.json()).error.message).toBe('This request came from another site, so it was refused.');
      }
    }
  }
  // The same request from our own origin gets through the guard (here: to a 404 for a missing job).
  const own = await page.request.post('/api/imports/999/pause', { headers: { origin: E2E_BASE_URL }, data: {} });
  expect(own.status()).toBe(404);
});

test('the API token works for machines; oversized bodies are refused before they are read', async ({ request }) => {
  const list = await request.get('/api/imports', { headers: bearer });
  expect(list.status()).toBe(200);
  const big = await request.post('/api/imports/1/step', { headers: bearer, data: { pad: 'x'.repeat(100_000) } });
  expect(big.status()).toBe(413);
  expect((await big.json()).error.message).toContain('the limit here is 65536 bytes');
});

test('pages need a signed-in admin; the login page signs in, and signs out', async ({ page }) => {
  for (const target of ['/', '/imports', '/imports/1']) {
    await page.goto(target);
    await expect(page).toHaveURL(new RegExp(`/login\\?next=${encodeURIComponent(target).replace(/[/]/g, '%2F')}$`));
  }
  await page.getByTestId('login-password').fill('wrong password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toHaveText('Wrong user name or password.');

  await page.getByTestId('login-user').fill('second');
  await page.getByTestId('login-password').fill('second-admin-password');
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/imports\/1$/);
  await expect(page.getByTestId('signed-in-as')).toHaveText('second');
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === 'kbo_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

  const session = cookies.find((c) => c.name === 'kbo_session')?.value as string;
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/imports');
  await expect(page).toHaveURL(/\/login\?next=/);
  // The cookie the browser had is dead on the server too, not only forgotten by the browser.
  expect((await raw('GET', '/api/imports', { cookie: `kbo_session=${session}` })).status).toBe(401);
});

test('sign out everywhere ends the sessions of every browser of that user at once', async ({ browser }) => {
  const [one, two] = [await browser.newContext(), await browser.newContext()];
  const pages = [await one.newPage(), await two.newPage()];
  for (const p of pages) {
    await signIn(p);
    await p.goto('/imports');
    await expect(p.getByTestId('signed-in-as')).toHaveText('admin');
  }
  await pages[0]!.getByTestId('sign-out-everywhere').click();
  await expect(pages[0]!).toHaveURL(/\/login$/);
  await pages[1]!.goto('/imports');
  await expect(pages[1]!).toHaveURL(/\/login\?next=/);
  await one.close();
  await two.close();
});

test('login attempts are rate-limited per client address', async ({ request, playwright }) => {
  const headers = { origin: E2E_BASE_URL, 'x-forwarded-for': '203.0.113.7' };
  for (let i = 0; i < 10; i++) {
    const res = await request.post('/api/auth/login', { headers, data: { password: `guess-${i}` } });
    expect(res.status()).toBe(401);
  }
  const blocked = await request.post('/api/auth/login', { headers, data: { password: E2E_AUTH.ADMIN_PASSWORD } });
  expect(blocked.status()).toBe(429);
  expect(Number(blocked.headers()['retry-after'])).toBeGreaterThan(0);
  expect((await blocked.json()).error.message).toMatch(/Too many failed sign-ins from here; try again in \d+ minutes?\./);
  // Another address is not affected.
  const other = await request.post('/api/auth/login', { headers: { ...headers, 'x-forwarded-for': '203.0.113.8' }, data: { password: E2E_AUTH.ADMIN_PASSWORD } });
  expect(other.status()).toBe(200);
  // The address is the one the proxy wrote (the rightmost): writing a victim's address to its left
  // neither escapes the limit nor locks the victim out. (A fresh client: no device cookie.)
  const stranger = await playwright.request.newContext({ baseURL: E2E_BASE_URL });
  for (let i = 0; i < 10; i++) {
    const res = await stranger.post('/api/auth/login', { headers: { ...headers, 'x-forwarded-for': `198.51.100.${i}, 203.0.113.20` }, data: { password: `guess-${i}` } });
    expect(res.status()).toBe(401);
  }
  const rotated = await stranger.post('/api/auth/login', { headers: { ...headers, 'x-forwarded-for': '198.51.100.99, 203.0.113.20' }, data: { password: E2E_AUTH.ADMIN_PASSWORD } });
  expect(rotated.status()).toBe(429);
  const victim = await stranger.post('/api/auth/login', { headers: { ...headers, 'x-forwarded-for': '198.51.100.3' }, data: { password: E2E_AUTH.ADMIN_PASSWORD } });
  expect(victim.status()).toBe(200);
  await stranger.dispose();
});

test('pages and API answers carry the security headers', async ({ request }) => {
  for (const url of ['/login', '/api/imports']) {
    const res = await request.get(url);
    const h = res.headers();
    expect(h['content-security-policy'], url).toContain("frame-ancestors 'none'");
    expect(h['content-security-policy'], url).not.toContain("'unsafe-inline' 'unsafe-eval'");
    expect(h['x-content-type-options'], url).toBe('nosniff');
    expect(h['x-frame-options'], url).toBe('DENY');
    expect(h['referrer-policy'], url).toBe('same-origin');
    expect(h['x-powered-by'], url).toBeUndefined();
  }
  expect((await request.get('/api/imports')).headers()['content-security-policy']).toContain("default-src 'none'");
});

test('a page runs only the scripts it was sent with its own nonce: no inline script without it', async ({ request, page }) => {
  const nonceOf = (csp: string | undefined) => /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp ?? '')?.[1];
  const first = await request.get('/login');
  const csp = first.headers()['content-security-policy'];
  const scriptSrc = /script-src [^;]*/.exec(csp ?? '')?.[0] ?? '';
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  const nonce = nonceOf(csp);
  expect(nonce, csp).toBeTruthy();
  // Every script of the page carries this response's nonce.
  const html = await first.text();
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  // A fresh nonce per answer.
  expect(nonceOf((await request.get('/login')).headers()['content-security-policy'])).not.toBe(nonce);
  // Pages outside the app's routes too (a 404, a path that merely starts with "api").
  for (const path of ['/no-such-page', '/apiary']) {
    const missing = await request.get(path);
    const pageNonce = nonceOf(missing.headers()['content-security-policy']);
    expect(pageNonce, path).toBeTruthy();
    for (const tag of (await missing.text()).match(/<script\b[^>]*>/g) ?? []) expect(tag, path).toContain(`nonce="${pageNonce}"`);
  }
  // The page still works under it: React runs (the form reacts). An inline script slipped into
  // the HTML (as an injection would be) does not run; the same script with the page's nonce does.
  const refused: string[] = [];
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/.test(m.text()) && refused.push(m.text()));
  await page.route('**/login', async (route) => {
    const answer = await route.fetch();
    const pageNonce = nonceOf(answer.headers()['content-security-policy']);
    const body = (await answer.text()).replace(
      '</body>',
      `<script>window.__injected = true</script><script nonce="${pageNonce}">window.__nonced = true</script></body>`,
    );
    await route.fulfill({ response: answer, body });
  });
  await page.goto('/login');
  const flags = await page.evaluate(() => {
    const w = window as unknown as { __injected?: boolean; __nonced?: boolean };
    return { injected: w.__injected ?? false, nonced: w.__nonced ?? false };
  });
  expect(flags).toEqual({ injected: false, nonced: true });
  await page.getByTestId('login-password').fill('wrong-password-for-csp');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toContainText(/Wrong user name or password|Too many/);
  expect(refused.length).toBeGreaterThan(0);
});

test('pages name their icon, and it is served (no 404 in the console)', async ({ page }) => {
  const missing: string[] = [];
  page.on('response', (res) => {
    if (res.status() === 404) missing.push(res.url());
  });
  await page.goto('/login');
  const icon = await page.locator('link[rel="icon"]').first().getAttribute('href');
  expect(icon).toMatch(/^\/icon\.svg/);
  expect((await page.request.get(icon as string)).status()).toBe(200);
  await signIn(page);
  await page.goto('/imports');
  expect(missing).toEqual([]);
});

/** A raw HTTP request, exactly as given (no Content-Length unless set), as curl or a hostile client sends it. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; location?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, E2E_BASE_URL), { method, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

test('hostile and bare requests get a clear 4xx or work, never a 500', async ({ page }) => {
  // The README's curl: POST with no body and no Content-Length.
  const bare = await raw('POST', `/api/imports/${anImport}/step`, bearer);
  expect(bare.status, bare.text).toBe(200);
  // The step route's former name answers the same.
  const alias = await raw('POST', `/api/imports/${anImport}/process-batch`, bearer);
  expect(alias.status, alias.text).toBe(200);
  // A malformed session cookie is no session.
  expect((await raw('GET', '/api/imports', { cookie: 'kbo_session=%' })).status).toBe(401);
  // Part numbers and ids in plain decimal only; a NUL in a name is refused, not stored.
  expect((await raw('PUT', '/api/uploads/1/parts/0x0', { ...bearer, 'content-length': '1' }, 'x')).status).toBe(400);
  expect((await raw('GET', '/api/imports/0x1', bearer)).status).toBe(400);
  const nul = await raw('POST', '/api/uploads', { ...bearer, 'content-type': 'application/json' }, JSON.stringify({ fileName: 'a\u0000.zip', size: 10 }));
  expect(nul.status, nul.text).toBe(400);
  // A NUL anywhere in an address is a 400 that says so, on every route; the register page says so too.
  for (const path of ['/api/register?q=a%00b', '/api/register?place=Ge%00nt', '/api/register/0%00', '/api/imports?status=%00', `/api/imports/${anImport}/changes?number=%00`]) {
    const answer = await raw('GET', path, bearer);
    expect(answer.status, `${path}: ${answer.text}`).toBe(400);
    expect(answer.text, path).toContain('NUL');
  }
  // After sign-in, `next` never leaves the site.
  await signIn(page);
  const page400 = await page.goto('/register?q=a%00b');
  expect(page400?.status()).toBe(200);
  await expect(page.getByTestId('register-problem')).toContainText('NUL character');
  await page.goto('/login?next=%2F%09%2Fevil.example%2Fphish');
  expect(new URL(page.url()).origin).toBe(E2E_BASE_URL);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'kbo_session');
  const redirected = await raw('GET', '/login?next=%2F%09%2Fevil.example%2Fphish', { cookie: `kbo_session=${session?.value}` });
  expect(redirected.location).toBe('/imports');
});

