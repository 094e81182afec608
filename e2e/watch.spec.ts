import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import type { RegisterModel } from '../lib/generator';
import { E2E_BASE_URL } from './auth';
import { bearer, screenshot } from './pages';
import { dayOf, importExtract, importModelFull, withApi } from './setup';

/**
 * A reader's story: signs in, finds three companies and follows them from their pages, points
 * the watchlist's digests at a webhook (a test goes through, signed), and after the next import
 * sees what changed for them on the watchlist's page and gets one signed digest. The import
 * itself, and everything else of the admin's, stays closed to the reader.
 */
test.describe.configure({ mode: 'serial', timeout: 180_000 });

type Received = { headers: Record<string, string | string[] | undefined>; body: string };
let receiver: Server;
let hookUrl = '';
const received: Received[] = [];
let model: RegisterModel;
let base = 0;

test.beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/kbo`;
  await withApi(async (api) => ({ model, base } = await importModelFull(api, 11, 80)));
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

type Rec = Record<string, unknown>;

test('a reader follows three companies and sees their next change, on the page and by a signed webhook', async ({ browser, playwright }) => {
  // The next UPDATE, made now: the three companies are ones it modifies, present before and after, with a name.
  const rowsOf = () => ({
    enterprises: model.currentRows('enterprises'),
    denominations: model.currentRows('denominations'),
  });
  const before = rowsOf();
  const next = model.update(base + 1, dayOf(base + 1), 0.3);
  const after = rowsOf();
  const key = (r: unknown[]) => JSON.stringify(r);
  const changed = (number: string) =>
    (['enterprises', 'denominations'] as const).some((t) => {
      const of = (rows: unknown[][]) => rows.filter((r) => r[0] === number).map(key).sort().join('\n');
      return of(before[t]) !== of(after[t]);
    });
  const named = (number: string) => after.denominations.find((r) => r[0] === number)?.[3] as string | undefined;
  const three = after.enterprises
    .map((r) => r[0] as string)
    .filter((n) => before.enterprises.some((r) => r[0] === n) && named(n) && changed(n))
    .slice(0, 3);
  expect(three, 'the UPDATE modifies three named enterprises').toHaveLength(3);

  // The reader signs in and finds the first by its name, the others by number.
  const readerApi = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: { origin: E2E_BASE_URL } });
  expect((await readerApi.post('/api/auth/login', { data: { user: 'reader', password: 'reader-password-0123' } })).status()).toBe(200);
  const context = await browser.newContext({ baseURL: E2E_BASE_URL, storageState: await readerApi.storageState() });
  const page = await context.newPage();
  await page.goto('/register');
  await expect(page.getByRole('link', { name: 'Watchlists' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Imports' })).toHaveCount(0);
  await page.getByTestId('register-q').fill(named(three[0]!) as string);
  await page.getByTestId('register-search').click();
  await page.getByTestId('register-hit').filter({ hasText: three[0]! }).getByRole('link').first().click();
  await expect(page.getByTestId('entity-title')).toContainText(three[0]!);
  for (const [i, number] of three.entries()) {
    if (i > 0) {
      await page.getByTestId('register-q').fill(number.replaceAll('.', ''));
      await page.getByTestId('register-search').click();
      await expect(page.getByTestId('entity-title')).toContainText(number);
    }
    await expect(page.getByTestId('watched-badge')).toHaveCount(0);
    // The first into a new watchlist (the reader may keep others), the next into that one.
    if (i === 0) await page.getByTestId('follow-into').selectOption('new');
    else await page.getByTestId('follow-into').selectOption({ label: 'Followed companies' });
    await page.getByTestId('follow-button').click();
    await expect(page.getByTestId('watched-badge')).toContainText('Watched in Followed companies');
  }

  // Its watchlist: the three numbers; digests to the webhook; a new secret; a test, signed with it.
  await page.getByTestId('watched-badge').getByRole('link').click();
  await expect(page.getByTestId('watchlist-title')).toHaveText('Followed companies');
  await expect(page.getByTestId('watchlist-member')).toHaveCount(3);
  await expect(page.getByTestId('watchlist-no-matches')).toBeVisible();
  const id = Number(page.url().split('/').pop());
  await page.getByTestId('watchlist-webhook').fill(hookUrl);
  await page.getByTestId('watchlist-save-channels').click();
  await expect(page.getByTestId('watchlist-note')).toContainText('Saved');
  await page.getByTestId('watchlist-new-secret').click();
  const secret = (await page.getByTestId('watchlist-secret').textContent()) as string;
  expect(secret.length).toBeGreaterThan(20);
  await page.getByTestId('watchlist-send-test').click();
  await expect(page.getByTestId('watchlist-test-result')).toContainText(`webhook to ${new URL(hookUrl).host}: delivered`);
  const signed = (r: Received) => r.headers['x-kbo-signature'] === `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`;
  const test1 = received.find((r) => (JSON.parse(r.body) as Rec).test === true && (JSON.parse(r.body) as Rec).watchlist === id);
  expect(test1 && signed(test1), 'the test digest is signed with the new secret').toBe(true);

  // The reader cannot import; the admin does, and the cron sends the digests.
  expect((await readerApi.post('/api/imports', { data: {} })).status()).toBe(403);
  let jobId = 0;
  await withApi(async (api) => {
    jobId = await importExtract(api, next);
    const admin = await playwright.request.newContext({ baseURL: E2E_BASE_URL, extraHTTPHeaders: bearer });
    const digests = () => received.filter((r) => (JSON.parse(r.body) as Rec).watchlist === id && (JSON.parse(r.body) as Rec).jobId === jobId);
    await expect
      .poll(
        async () => {
          await admin.get('/api/cron/drive');
          return digests().length;
        },
        { message: 'the digest arrives', timeout: 60_000, intervals: [500] },
      )
      .toBe(1);
    await admin.dispose();
    const digest = digests()[0]!;
    expect(signed(digest)).toBe(true);
    expect(digest.headers['idempotency-key']).toBe(`${id}-${jobId}`);
    const body = JSON.parse(digest.body) as { extractNumber: number; matches: { number: string; kind: string; changes: unknown[] }[] };
    expect(body.extractNumber).toBe(base + 1);
    expect(body.matches.map((m) => m.number).sort()).toEqual([...three].sort());
    expect(body.matches.every((m) => m.changes.length > 0)).toBe(true);
  });

  // The page says what changed for each, in words.
  await page.reload();
  const imported = page.getByTestId('watchlist-import').first();
  await expect(imported).toContainText(`Extract ${base + 1}`);
  await expect(imported.getByTestId('watch-match')).toHaveCount(3);
  for (const number of three) await expect(imported.getByTestId('watch-match').filter({ hasText: number }).getByTestId('watch-change').first()).toBeVisible();
  await expect(page.getByTestId('delivery-row').filter({ hasText: `digest of import #${jobId}` }).getByTestId('delivery-status')).toContainText('delivered');
  await page.screenshot({ path: screenshot('watchlists.png'), fullPage: true, animations: 'disabled' });
  // Still one digest: the cron comes by again, nothing more is sent.
  await withApi(async (api) => void (await api.get('/api/cron/drive')));
  expect(received.filter((r) => (JSON.parse(r.body) as Rec).watchlist === id && (JSON.parse(r.body) as Rec).jobId === jobId)).toHaveLength(1);
  await context.close();
  await readerApi.dispose();
});
