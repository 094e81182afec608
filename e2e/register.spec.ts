import { expect, test } from '@playwright/test';
import { formatEnterprise, withMod97 } from '../lib/kbo/values';
import { bearer, screenshot, signIn, storyDatabase } from './pages';
import { dayOf, history, importExtract, importModelFull, withApi } from './setup';

// The tests pick real entities from the register as it stands; the spec makes sure it holds
// what they need, importing a FULL and an UPDATE of the generator's when it does not.
const db = storyDatabase();
/** The UPDATE whose changes the last test follows: the newest completed one, when it modified enterprises. */
let job: { id: number; extract: number } | undefined;

test.beforeAll(async () => {
  await withApi(async (api) => {
    // The newest completed import, when it is an UPDATE that modified enterprises.
    const [last] = await history(api, ['completed']);
    const update = last?.mode === 'update' ? last : undefined;
    const modified = update && (await (await api.get(`/api/imports/${update.id}/changes?table=enterprises&change=modified`)).json()).changes.length > 0;
    const [held] = await db()<{ establishment: boolean; comma: boolean }[]>`
      select
        exists (select 1 from enterprises e join establishments s on s.enterprise_number = e.enterprise_number and s.is_current
                where e.is_current and e.juridical_form is not null) as establishment,
        exists (select 1 from denominations d join enterprises e on e.enterprise_number = d.entity_number and e.is_current
                where d.is_current and d.denomination like '%,%') as comma`;
    if (update && modified && held?.establishment && held.comma) {
      job = { id: update.id, extract: update.extractNumber as number };
      return;
    }
    const { model, base } = await importModelFull(api);
    job = { id: await importExtract(api, model.update(base + 1, dayOf(base + 1))), extract: base + 1 };
  });
});

test('look up an enterprise by number in any form, switch the language (remembered), and follow its establishments', async ({ page, request }) => {
  const [e] = await db()<{ number: string; name: string | null; form: string | null; establishment: string }[]>`
    select e.enterprise_number as number, e.primary_name as name, e.juridical_form as form, min(s.establishment_number) as establishment
    from enterprises e join establishments s on s.enterprise_number = e.enterprise_number and s.is_current
    where e.is_current and e.juridical_form is not null
    group by 1, 2, 3 order by 1 limit 1`;
  expect(e, 'the register holds an enterprise with an establishment').toBeDefined();
  const texts = await db()<{ language: string; description: string }[]>`
    select language, description from codes where category = 'JuridicalForm' and code = ${e?.form ?? ''} and is_current`;
  // The code's text in that language, else Dutch; none (null) when the code table has no text for it.
  const form = (lang: string) => texts.find((t) => t.language === lang)?.description ?? texts.find((t) => t.language === 'NL')?.description ?? null;

  await signIn(page);
  await page.goto('/register');
  await page.getByTestId('register-q').fill('0200.065.766');
  await page.getByTestId('register-search').click();
  await expect(page.getByTestId('register-problem')).toContainText('fails the mod-97 check');

  await page.getByTestId('register-q').fill(`BE ${e?.number.replaceAll('.', '')}`);
  await page.getByTestId('register-search').click();
  await expect(page).toHaveURL(new RegExp(`/register/${e?.number.replaceAll('.', '\\.')}$`));
  await expect(page.getByTestId('entity-title')).toContainText(e?.number ?? '');
  if (e?.name) await expect(page.getByTestId('entity-title')).toContainText(e.name);
  await expect(page.getByTestId('entity-facts')).toContainText(form('NL') ?? '');

  await page.getByTestId('lang-fr').click();
  await expect(page.getByTestId('lang-fr')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('entity-facts')).toContainText(form('FR') ?? '');
  await page.reload();
  await expect(page.getByTestId('lang-fr')).toHaveAttribute('aria-pressed', 'true');

  await page.getByTestId('establishment-link').first().click();
  await expect(page).toHaveURL(new RegExp(`/register/${e?.establishment.replaceAll('.', '\\.')}$`));
  await expect(page.getByTestId('entity-title')).toContainText(e?.establishment ?? '');
  await page.getByTestId('enterprise-link').click();
  await expect(page.getByTestId('entity-title')).toContainText(e?.number ?? '');

  // The same through the API, for machines.
  const api = await request.get(`/api/register/${e?.number.replaceAll('.', '')}?lang=de`, { headers: bearer });
  expect(api.status()).toBe(200);
  expect(await api.json()).toMatchObject({ kind: 'enterprise', number: e?.number, enterprise: { juridicalForm: { code: e?.form, text: form('DE') } } });
  expect((await request.get(`/api/register/${e?.number}?lang=xx`, { headers: bearer })).status()).toBe(400);
  expect((await request.get('/api/register/not-a-number', { headers: bearer })).status()).toBe(400);
  const absent = withMod97(19_876_543); // a valid number the generator and extract 147 do not hold now
  const [held] = await db()`select 1 from enterprises where enterprise_number = ${formatEnterprise(absent)} and is_current`;
  expect(held).toBeUndefined();
  const none = await request.get(`/api/register/${absent}`, { headers: bearer });
  expect(none.status()).toBe(404);
  expect((await none.json()).error.message).toContain(`The register has no enterprise ${formatEnterprise(absent)}`);
});

test('search by name and by filters, page through the results, and open one', async ({ page, request }) => {
  // A name the register holds now, typed in upper case without its punctuation.
  const [named] = await db()<{ number: string; denomination: string }[]>`
    select d.entity_number as number, d.denomination from denominations d
    join enterprises e on e.enterprise_number = d.entity_number and e.is_current
    where d.is_current and d.denomination like '%,%' order by d.entity_number limit 1`;
  expect(named, 'the register holds a name with a comma').toBeDefined();
  const typed = named!.denomination.replaceAll(',', '').toUpperCase();
  await signIn(page);
  await page.goto('/register');
  await page.getByTestId('register-q').fill(typed);
  await page.getByTestId('register-search').click();
  await expect(page).toHaveURL(/\/register\?q=/);
  await expect(page.getByTestId('register-results')).toBeVisible();
  const hit = page.getByTestId('register-hit').filter({ hasText: named!.number });
  await expect(hit).toHaveCount(1);
  await page.screenshot({ path: screenshot('register-search.png'), fullPage: true, animations: 'disabled' });

  // A filter alone lists entities in number order, a page at a time.
  const [nace] = await db()<{ code: string; entities: number }[]>`
    select nace_code as code, count(distinct entity_number)::int as entities from activities where is_current group by 1 order by 2 desc limit 1`;
  await page.getByTestId('register-q').fill('');
  await page.getByTestId('filter-nace').fill(nace!.code);
  await page.getByTestId('register-search').click();
  await expect(page.getByTestId('register-summary')).toContainText(`NACE ${nace!.code}`);
  await expect(page.getByTestId('register-hit')).toHaveCount(Math.min(20, nace!.entities));
  const firstOfPage1 = await page.getByTestId('register-hit').first().locator('a').textContent();
  if (nace!.entities > 20) {
    await page.getByTestId('register-next').click();
    await expect(page).toHaveURL(/page=2/);
    const firstOfPage2 = await page.getByTestId('register-hit').first().locator('a').textContent();
    expect((firstOfPage2 ?? '') > (firstOfPage1 ?? '')).toBe(true);
  }
  await page.getByTestId('register-hit').first().locator('a').click();
  await expect(page.getByTestId('entity-activities')).toContainText(nace!.code);

  // The API answers the same search.
  const api = await request.get(`/api/register?nace=${nace!.code}`, { headers: bearer });
  expect(api.status()).toBe(200);
  expect((await api.json()).hits[0].number).toBe(firstOfPage1);
  expect((await request.get('/api/register', { headers: bearer })).status()).toBe(400);
  expect((await request.get(`/api/register?nace=${nace!.code}`)).status()).toBe(401);
});

test('step back through an entity\'s history, and see what an import changed, with its CSV', async ({ page, request }) => {
  // The UPDATE the spec picked (beforeAll), and an enterprise it modified.
  expect(job, 'the register has a completed UPDATE').toBeDefined();
  await signIn(page);
  await page.goto(`/imports/${job!.id}`);
  const changes = page.getByTestId('import-changes');
  await expect(changes.getByTestId('changes-summary')).toBeVisible();
  await changes.getByTestId('changes-table').selectOption('enterprises');
  await changes.getByTestId('changes-kind').selectOption('modified');
  const row = changes.getByTestId('change-row').first();
  await expect(row).toContainText('modified');
  const number = (await row.locator('td').nth(1).textContent()) as string;
  await changes.screenshot({ path: screenshot('import-changes.png'), animations: 'disabled' });

  // The CSV holds the same list.
  const download = page.waitForEvent('download');
  await changes.getByTestId('changes-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`import-${job!.id}-changes.csv`);
  const csv = await (await request.get(`/api/imports/${job!.id}/changes?format=csv&table=enterprises&change=modified`, { headers: bearer })).text();
  expect(csv.split('\n')[0]).toBe('table,entity_number,change,rows_started,rows_ended');
  expect(csv).toContain(`enterprises,${number},modified,`);

  // Before and after, from the history columns.
  await row.getByTestId('change-after').click();
  await expect(page).toHaveURL(new RegExp(`asOf=${job!.extract}$`));
  await expect(page.getByTestId('as-of-banner')).toContainText(`just after extract ${job!.extract}`);
  const history = page.getByTestId('entity-history');
  await expect(history.getByTestId('history-event').first()).toBeVisible();
  await page.screenshot({ path: screenshot('register-entity.png'), fullPage: true, animations: 'disabled' });
  await page.getByTestId('as-of-older').click();
  await expect(page).not.toHaveURL(new RegExp(`asOf=${job!.extract}$`));
  await expect(page.getByTestId('as-of-banner')).toContainText('just after extract');
  await page.getByTestId('as-of-now').click();
  await expect(page.getByTestId('as-of-banner')).toHaveCount(0);

  const api = await request.get(`/api/register/${number}?asOf=${job!.extract - 1}`, { headers: bearer });
  expect(api.status()).toBe(200);
  const timeline = await request.get(`/api/register/${number}/history`, { headers: bearer });
  expect((await timeline.json()).events.map((e: { extractNumber: number }) => e.extractNumber)).toContain(job!.extract);
  expect((await request.get(`/api/imports/${job!.id}/changes?change=gone`, { headers: bearer })).status()).toBe(400);
});
