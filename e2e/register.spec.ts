import { expect, test } from '@playwright/test';
import { formatEnterprise, withMod97 } from '../lib/datasets/values';
import { createSql, databaseUrl, resolveDatabaseUrl, type Sql } from '../lib/db/client';
import { bearer, signIn } from './pages';

// The imports story (imports.spec.ts) has filled the register; pick real entities from it.
let sql: Sql;
test.beforeAll(async () => {
  sql = createSql(databaseUrl(await resolveDatabaseUrl(), 'kbo_e2e'), 1);
});
test.afterAll(async () => {
  await sql.end();
});

test('look up an enterprise by number in any form, switch the language (remembered), and follow its establishments', async ({ page, request }) => {
  const [e] = await sql<{ number: string; name: string | null; form: string | null; establishment: string }[]>`
    select e.enterprise_number as number, e.primary_name as name, e.juridical_form as form, min(s.establishment_number) as establishment
    from enterprises e join establishments s on s.enterprise_number = e.enterprise_number and s.is_current
    where e.is_current and e.juridical_form is not null
    group by 1, 2, 3 order by 1 limit 1`;
  expect(e, 'the imports story leaves an enterprise with an establishment').toBeDefined();
  const texts = await sql<{ language: string; description: string }[]>`
    select language, description from codes where category = 'JuridicalForm' and code = ${e?.form ?? ''} and is_current`;
  const form = (lang: string) => texts.find((t) => t.language === lang)?.description ?? texts.find((t) => t.language === 'NL')?.description;

  await signIn(page);
  await page.goto('/register');
  await page.getByTestId('register-number').fill('0200.065.766');
  await page.getByTestId('register-lookup').click();
  await expect(page.getByTestId('register-problem')).toContainText('fails the mod-97 check');

  await page.getByTestId('register-number').fill(`BE ${e?.number.replaceAll('.', '')}`);
  await page.getByTestId('register-lookup').click();
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
  const [held] = await sql`select 1 from enterprises where enterprise_number = ${formatEnterprise(absent)} and is_current`;
  expect(held).toBeUndefined();
  const none = await request.get(`/api/register/${absent}`, { headers: bearer });
  expect(none.status()).toBe(404);
  expect((await none.json()).error.message).toContain(`The register has no enterprise ${formatEnterprise(absent)}`);
});
