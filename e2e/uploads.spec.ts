import { expect, test } from '@playwright/test';
import { zipExtract, type RegisterModel } from '../lib/generator';
import { serveZips } from '../test/helpers/zip-server';
import { bearer, ImportsPage, ProgressPage, screenshot, setFaults, signIn } from './pages';
import { dayOf, importModelFull, withApi } from './setup';

/** The fields of GET /api/imports/:id these tests compare. */
interface ImportStatus {
  job: { sha256: string; fileSize: number; fileName: string; mode: string; counts: { files: unknown } };
  totals: unknown;
  drift: unknown;
}

// Uploads other than one request: a FULL in parts that resyncs the register, then a zip the
// server fetches from a URL. In order: the URL's UPDATE follows the FULL.
test.describe.configure({ mode: 'serial' });

/** The generator's register, loaded by a FULL numbered `base` (after whatever other specs imported). */
let model: RegisterModel;
let base = 0;
test.beforeAll(async () => {
  ({ model, base } = await withApi((api) => importModelFull(api)));
});

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test.afterEach(async ({ request }) => {
  await setFaults(request, {});
});

test('a FULL bigger than a request goes in parts (one fails and is sent again) and resyncs the live register; a direct upload gives the same import', async ({ page, request }) => {
  // Extract base + 1 was missed and rows were corrected upstream: FULL base + 2 says so.
  model.drift(0.05);
  const resync = model.snapshot(base + 2, dayOf(base + 2));
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
  // The stub holds a part until the test has seen what the form says meanwhile (no clock).
  let retryShown = () => {};
  const retrySeen = new Promise<void>((r) => (retryShown = r));
  let resumeShown = () => {};
  const resumeSeen = new Promise<void>((r) => (resumeShown = r));
  await page.route('**/api/uploads/*/parts/*', async (route) => {
    const index = Number(route.request().url().split('/').pop());
    expect(route.request().postDataBuffer()?.length ?? 0).toBeLessThanOrEqual(PART);
    sent[attempt]?.push(index);
    // The connection drops while part 2 is on its way, once; its second try is held until the
    // form has been seen saying so.
    if (index === 1 && !dropped) {
      dropped = true;
      return route.abort('connectionreset');
    }
    if (index === 1) await retrySeen;
    // The last part is refused once: the upload stops, and resumes when started again.
    if (index === parts - 1 && !refused) {
      refused = true;
      return route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { code: 'VALIDATION', message: 'Refused by the test.' } }) });
    }
    // The resumed upload's parts are held until the form has been seen saying it resumed.
    if (attempt === 1) await resumeSeen;
    return route.fallback();
  });
  await imports.upload(resync.fileName, bytes);
  await expect(page.getByTestId('dropzone')).toContainText(`sent in ${parts} parts`);
  await expect(page.getByTestId('upload-retrying')).toContainText('Part 2 failed (The connection dropped.); sending it again (try 2 of 6)…');
  retryShown();
  await expect(imports.error()).toHaveText(`Part ${parts} was refused: Refused by the test. Press Import again to resume the upload.`);

  attempt = 1;
  await page.getByTestId('upload-submit').click();
  await expect(page.getByTestId('upload-sent')).toContainText(/resumed: \d+ of \d+ parts were already on the server/);
  resumeShown();
  await expect(page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
  // Part 2 went twice (dropped, then through); the second start sent only what the server lacked.
  expect(sent[0]?.filter((i) => i === 1)).toHaveLength(2);
  expect(sent[1]).not.toContain(0);
  expect(sent[1]).toContain(parts - 1);
  expect(new Set([...(sent[0] ?? []), ...(sent[1] ?? [])]).size).toBe(parts);

  const progress = new ProgressPage(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`full ${base + 2}`);
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
  const next = model.update(base + 3, dayOf(base + 3));
  const update = await zipExtract(next);
  const server = await serveZips({ [`/${next.fileName}`]: { bytes: update } });
  try {
    const imports = new ImportsPage(page);
    await imports.open();
    // The same server by another name is a loopback address the server refuses to fetch from.
    await page.getByTestId('url-input').fill(`${server.base.replace('127.0.0.1', 'localhost')}/${next.fileName}`);
    await page.getByTestId('url-submit').click();
    await expect(page.getByTestId('upload-error')).toContainText('points to a loopback, private, link-local or reserved address');
    expect(server.requests).toEqual([]);
    await page.getByTestId('url-input').fill(`${server.base}/${next.fileName}`);
    await page.getByTestId('url-submit').click();
    await expect(page).toHaveURL(/\/imports\/\d+$/, { timeout: 60_000 });
    await expect(page.getByRole('heading', { level: 1 })).toContainText(`update ${base + 3}`);
    await new ProgressPage(page).expectCompleted();
    // A one-byte probe for the size, then one range per 8 KiB part.
    expect(server.requests[0]?.range).toBe('bytes=0-0');
    expect(server.requests.slice(1)).toHaveLength(Math.ceil(update.length / 8192));
  } finally {
    await server.close();
  }
});

test('giving up on a file for another frees its place among the open uploads', async ({ page, request }) => {
  const bytes = await zipExtract(model.snapshot(base + 90, dayOf(base + 90)));
  const imports = new ImportsPage(page);
  await imports.open();
  // Every part is refused: each upload stops after its first part, and stays open on the server.
  await page.route('**/api/uploads/*/parts/*', (route) =>
    route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { code: 'VALIDATION', message: 'Refused by the test.' } }) }),
  );
  await imports.upload('KboOpenData_9990_2030_01_01_Full.zip', bytes);
  await expect(imports.error()).toContainText('Refused by the test.');
  const first = await page.evaluate(() => Number(Object.entries(window.localStorage).find(([k]) => k.startsWith('kbo-upload:KboOpenData_9990'))?.[1]));
  expect(first).toBeGreaterThan(0);
  expect((await request.get(`/api/uploads/${first}`, { headers: bearer })).status()).toBe(200);

  await imports.upload('KboOpenData_9991_2030_01_02_Full.zip', bytes);
  await expect(imports.error()).toContainText('Refused by the test.');
  // The first is gone from the server, not only from the browser.
  await expect.poll(async () => (await request.get(`/api/uploads/${first}`, { headers: bearer })).status()).toBe(404);
  const second = await page.evaluate(() => Number(Object.entries(window.localStorage).find(([k]) => k.startsWith('kbo-upload:KboOpenData_9991'))?.[1]));
  expect(await request.delete(`/api/uploads/${second}`, { headers: bearer }).then((r) => r.status())).toBe(200);
});
