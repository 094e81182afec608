/**
 * How fast the register's pages answer on a register of the real size: search by number, by
 * name (prefix, similar spelling, deep pages), by filters, the entity page now and as of an
 * earlier extract, its history, and an import's change list: p50, p95 and max per kind.
 *
 * The register is built in SQL, straight into the tables, with the real proportions (for
 * 1.9 M enterprises: 1.6 M establishments, 3.2 M denominations, 36 M activities, 3.3 M
 * addresses) and a second extract that changed 0.1% of the enterprises (`--changed` per mille), so history and
 * change lists have something to show. Building it takes a while; it is kept in the database
 * `kbo_bench_register` and reused while the size and the migrations are the same.
 *   npm run bench:register                          # 1.9 M enterprises, 100 queries a kind
 *   npm run bench:register -- --enterprises 50000 --queries 30
 *   npm run bench:register -- --rebuild             # build it again
 *   npm run bench:register -- --database kbo_bench_register_full   # another database (one per size kept side by side)
 *   npm run bench:register -- --enterprises 300000 --changed 300   # an UPDATE that touched 30%: a long change list
 *   npm run bench:register -- --leaf-stats          # partitions' statistics only (none of the partitioned tables')
 *   npm run bench:register -- --import-stats        # the statistics an import leaves (lib/imports/jobs/analyze.ts)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KBO_TABLES } from '../lib/kbo/spec';
import { applyMigrations, createSql, databaseUrl, recreateDatabase, resolveDatabaseUrl, exitAfterStop, type Sql } from '../lib/db/client';
import { ident, unionAll } from '../lib/db/sql';
import { classifiedChanges, JOB } from '../lib/imports';
import { workOutChangeList } from './bench/change-list';
import { migrationsDigest } from './bench/databases';
import { fmt, pct } from './bench/report';
import { estimatedRows, secondaryIndexes, statistics } from './bench/statistics';
import { entityHistory, entityView, importChanges, searchRegister } from '../lib/register';

let DB = 'kbo_bench_register';
const REGISTER_TABLES = KBO_TABLES.map((t) => t.table);

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** What a built register was built from: rebuilt when either changes. */
async function fingerprint(enterprises: number, changed: number): Promise<string> {
  return `${enterprises}/${changed}/${await migrationsDigest()}`;
}

async function build(server: string, enterprises: number, changed: number): Promise<string> {
  const url = await recreateDatabase(server, DB);
  await applyMigrations(url);
  const sql = createSql(url, 1);
  const step = async (label: string, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    console.log(`  ${label}: ${fmt(seconds(t0), 1)} s`);
  };
  console.log(`building a register of ${fmt(enterprises)} enterprises in ${DB} …`);
  await sql`set maintenance_work_mem = '1GB'`;
  await sql`set synchronous_commit = off`;
  // Load without the indexes, then build them: the fastest way to a register this size.
  // The register tables are partitioned (drizzle/0024): each index is dropped on the
  // partitioned table and made again there (not ON ONLY), which builds every partition's.
  const indexes = await secondaryIndexes(sql, REGISTER_TABLES);
  for (const i of indexes) await sql`drop index ${ident(sql, i.name)}`;

  // Helpers, dropped at the end: numbers with their mod-97 check digits, deterministic hashes,
  // and names made of syllables, so that names are as varied as a real register's.
  await sql.unsafe(`
    create function pg_temp.h(i bigint, salt int) returns int language sql immutable as
      $$ select abs(hashint8(i * 1000003 + salt) % 1000000000)::int $$;
    create function pg_temp.digits(base bigint) returns text language sql immutable as
      $$ select lpad(base::text, 8, '0') || lpad((97 - base % 97)::text, 2, '0') $$;
    create function pg_temp.enterprise(i bigint) returns text language sql immutable as
      $$ select substr(d, 1, 4) || '.' || substr(d, 5, 3) || '.' || substr(d, 8, 3) from (select pg_temp.digits(2000000 + i * 5) d) x $$;
    create function pg_temp.establishment(i bigint) returns text language sql immutable as
      $$ select substr(d, 1, 1) || '.' || substr(d, 2, 3) || '.' || substr(d, 5, 3) || '.' || substr(d, 8, 3) from (select pg_temp.digits(20000000 + i) d) x $$;
    create function pg_temp.syllable(x int) returns text language sql immutable as $$
      select (array['b','c','d','f','g','h','j','k','l','m','n','p','r','s','t','v','w','z','br','st','gr','tr','kl','sch','ch','vl'])[1 + x % 26]
          || (array['a','e','i','o','u','ee','oo','ij','é','è','ü','au','ou','ei','ä','y'])[1 + (x / 26) % 16]
          || (array['','','n','r','s','t','l','m','ck','rt','nd','ns','x','k','st','ng'])[1 + (x / 416) % 16] $$;
    create function pg_temp.word(i bigint, salt int) returns text language sql immutable as $$
      select initcap(pg_temp.syllable(pg_temp.h(i, salt)) || pg_temp.syllable(pg_temp.h(i, salt + 1))
             || case when pg_temp.h(i, salt + 2) % 3 = 0 then pg_temp.syllable(pg_temp.h(i, salt + 3)) else '' end) $$;
    create function pg_temp.name(i bigint, salt int) returns text language sql immutable as $$
      select pg_temp.word(i, salt) || ' ' || pg_temp.word(i, salt + 10) ||
             (array[' BV', ' NV', ' SRL', ' VZW', ' & Zonen', ', ' || pg_temp.word(i % 3000, salt + 30), ' SA', ' CommV', '', ''])[1 + pg_temp.h(i, salt + 20) % 10] $$;
    create temporary table towns as
      select k, (1000 + k * 10)::text as zip, pg_temp.word(k, 8) || case when k % 7 = 0 then '-' || pg_temp.word(k, 9) else '' end as town
      from generate_series(0, 899) k;
    create function pg_temp.nace(i bigint, k int) returns text language sql immutable as
      $$ select (10000 + (power(pg_temp.h(i, 100 + k) % 1000, 2) / 1000 * 0.7)::int * 127 % 89999)::text $$;
  `);

  const E = enterprises;
  const hist = sql`1 as extract_number, '2025-10-01'::date as snapshot_date`;
  await step('codes', () =>
    sql`
      insert into codes (category, code, language, description, extract_number, snapshot_date)
      select category, code, language, description, 1, '2025-10-01' from (
        select 'JuridicalForm' as category, lpad(f::text, 3, '0') as code, l as language, l || ' juridical form ' || f as description
        from generate_series(1, 40) f, unnest(array['NL', 'FR', 'DE']) l
        union all select 'Status', 'AC', l, case l when 'FR' then 'Actif' when 'DE' then 'Aktiv' else 'Actief' end from unnest(array['NL', 'FR', 'DE']) l
        union all select distinct 'Nace2025', pg_temp.nace(i, k), l, l || ' activity ' || pg_temp.nace(i, k)
        from generate_series(1, 3000) i, generate_series(1, 3) k, unnest(array['NL', 'FR', 'DE']) l
      ) c`,
  );
  await step('enterprises', () =>
    sql`
      insert into enterprises (enterprise_number, status, juridical_situation, type_of_enterprise, juridical_form, start_date, primary_name, extract_number, snapshot_date)
      select pg_temp.enterprise(i), 'AC', '000', case when i % 5 < 2 then '1' else '2' end,
             case when i % 5 < 2 then null else lpad((1 + pg_temp.h(i, 3) % 40)::text, 3, '0') end,
             date '1960-01-01' + pg_temp.h(i, 4) % 23000, pg_temp.name(i, 0), ${hist}
      from generate_series(1, ${E}::bigint) i`,
  );
  await step('establishments', () =>
    sql`
      insert into establishments (establishment_number, start_date, enterprise_number, extract_number, snapshot_date)
      select pg_temp.establishment(i), date '1970-01-01' + pg_temp.h(i, 5) % 20000, pg_temp.enterprise(i), ${hist}
      from generate_series(1, ${E}::bigint) i where i % 20 < 17`,
  );
  await step('denominations', () =>
    sql`
      insert into denominations (entity_number, language, type_of_denomination, denomination, extract_number, snapshot_date)
      select pg_temp.enterprise(i), case when i % 3 = 0 then '1' else '2' end, '001', pg_temp.name(i, 0), ${hist} from generate_series(1, ${E}::bigint) i
      union all
      select pg_temp.enterprise(i), '1', '003', pg_temp.name(i, 50), ${hist} from generate_series(1, ${E}::bigint) i where pg_temp.h(i, 6) % 100 < 55
      union all
      select pg_temp.establishment(i), '2', '003', pg_temp.name(i, 60), ${hist} from generate_series(1, ${E}::bigint) i where i % 20 < 17 and pg_temp.h(i, 7) % 100 < 20`,
  );
  // A postcode per address from 900 towns; a street per address.
  const addresses = (entity: ReturnType<Sql>, type: string, salt: number, where: ReturnType<Sql>, extract: number, day: string) => sql`
    insert into addresses (entity_number, type_of_address, zipcode, municipality_nl, municipality_fr, street_nl, street_fr, house_number, extract_number, snapshot_date)
    select ${entity}, ${type}, t.zip, t.town, t.town, a.street || 'straat', 'Rue ' || a.street, (1 + pg_temp.h(i, ${salt + 71}) % 250)::text, ${extract}, ${day}::date
    from (select i, pg_temp.h(i, ${salt}) % 900 as k, pg_temp.word(i % 20000, ${salt + 70}) as street from generate_series(1, ${E}::bigint) i where ${where}) a
    join towns t on t.k = a.k`;
  await step('addresses', async () => {
    await addresses(sql`pg_temp.enterprise(i)`, 'REGO', 0, sql`i % 20 <> 0`, 1, '2025-10-01');
    await addresses(sql`pg_temp.establishment(i)`, 'BAET', 1, sql`i % 20 < 17`, 1, '2025-10-01');
  });
  await step('contacts', () =>
    sql`
      insert into contacts (entity_number, entity_contact, contact_type, value, extract_number, snapshot_date)
      select pg_temp.enterprise(i), 'ENT', 'EMAIL', 'info@' || i || '.example.be', ${hist} from generate_series(1, ${E}::bigint) i where i % 5 < 2`,
  );
  await step('branches', () =>
    sql`
      insert into branches (branch_id, start_date, enterprise_number, extract_number, snapshot_date)
      select pg_temp.establishment(90000000 - i), '2001-01-01', pg_temp.enterprise(i), ${hist} from generate_series(1, ${E}::bigint) i where i % 200 = 0`,
  );
  await step('activities', () =>
    sql`
      insert into activities (entity_number, activity_group, nace_version, nace_code, classification, extract_number, snapshot_date)
      select pg_temp.enterprise(i), case when k % 4 = 0 then '003' else '001' end, '2025', pg_temp.nace(i, k), case when k = 1 then 'MAIN' else 'SECO' end, ${hist}
      from generate_series(1, ${E}::bigint) i, generate_series(1, 14) k
      union all
      select pg_temp.establishment(i), '001', '2025', pg_temp.nace(i, 20 + k), case when k = 1 then 'MAIN' else 'SECO' end, ${hist}
      from generate_series(1, ${E}::bigint) i, generate_series(1, 6) k where i % 20 < 17`,
  );
  // Extract 2, a busy day's UPDATE: `changed` per mille of the enterprises (default 1) get a new name, address and activities.
  await step(`extract 2 (an update of ${changed / 10}%)`, async () => {
    const touched = sql`select pg_temp.enterprise(i) as n, i from generate_series(1, ${E}::bigint) i where (i + 993) % 1000 < ${changed}`;
    for (const [table, extra] of [
      ['denominations', sql`and type_of_denomination = '001'`],
      ['addresses', sql``],
      ['activities', sql`and classification = 'SECO' and nace_code < '50000'`],
    ] as const) {
      await sql`update ${ident(sql, table)} set is_current = false, deleted_at_extract = 2 where entity_number in (select n from (${touched}) t) ${extra}`;
    }
    await sql`insert into denominations (entity_number, language, type_of_denomination, denomination, extract_number, snapshot_date)
              select n, '2', '001', pg_temp.name(i, 90), 2, '2025-10-02' from (${touched}) t`;
    await sql`update enterprises e set primary_name = pg_temp.name(t.i, 90) from (${touched}) t where e.enterprise_number = t.n`;
    await addresses(sql`pg_temp.enterprise(i)`, 'REGO', 2, sql`(i + 993) % 1000 < ${changed}`, 2, '2025-10-02');
    await sql`insert into activities (entity_number, activity_group, nace_version, nace_code, classification, extract_number, snapshot_date)
              select n, '001', '2025', pg_temp.nace(i, 40 + k), 'SECO', 2, '2025-10-02' from (${touched}) t, generate_series(1, 2) k`;
    await sql`insert into import_jobs (file_name, file_size, sha256, extract_number, extract_type, snapshot_date, status, mode, batch_size, finished_at)
              values ('KboOpenData_0001_2025_10_01_Full.zip', 0, 'bench-register-1', 1, 'full', '2025-10-01', ${JOB.completed}, 'initial', 20000, now()),
                     ('KboOpenData_0002_2025_10_02_Update.zip', 0, 'bench-register-2', 2, 'update', '2025-10-02', ${JOB.completed}, 'update', 20000, now())`;
  });
  for (const i of indexes) await step(`index ${i.name}`, () => sql.unsafe(i.def));
  await step('vacuum analyze', () => sql`vacuum analyze`);
  const sizes = await estimatedRows(sql, REGISTER_TABLES);
  console.log(`  rows: ${sizes.map((s) => `${s.table} ${fmt(s.rows)}`).join(', ')}`);
  await sql`create table bench_register_meta (fingerprint text)`;
  await sql`insert into bench_register_meta values (${await fingerprint(enterprises, changed)})`;
  await sql.end();
  return url;
}

async function registerUrl(server: string, enterprises: number, changed: number, rebuild: boolean): Promise<string> {
  const url = databaseUrl(server, DB);
  if (!rebuild) {
    const sql = createSql(url, 1);
    const held = await sql<{ fingerprint: string }[]>`select fingerprint from bench_register_meta`.catch(() => []);
    const want = await fingerprint(enterprises, changed);
    await sql.end();
    if (held[0]?.fingerprint === want) {
      console.log(`reusing the register in ${DB} (${fmt(enterprises)} enterprises; --rebuild to build it again)`);
      return url;
    }
  }
  return build(server, enterprises, changed);
}

/** A letter changed in the middle of a word: a misspelling. */
function misspell(name: string, r: number): string {
  const words = name.split(' ');
  const w = words[0] as string;
  const at = 1 + Math.floor(r * Math.max(1, w.length - 2));
  words[0] = w.slice(0, at) + (w[at] === 'e' ? 'a' : 'e') + w.slice(at + 1);
  return words.join(' ');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      enterprises: { type: 'string', default: '1900000' },
      queries: { type: 'string', default: '100' },
      rebuild: { type: 'boolean', default: false },
      changed: { type: 'string', default: '1' },
      database: { type: 'string', default: DB },
      'leaf-stats': { type: 'boolean', default: false },
      'import-stats': { type: 'boolean', default: false },
    },
  });
  const enterprises = Number(values.enterprises);
  const n = Number(values.queries);
  if (!Number.isInteger(enterprises) || enterprises < 1000) throw new Error('--enterprises takes a whole number from 1000');
  if (!Number.isInteger(n) || n < 5) throw new Error('--queries takes a whole number from 5');
  DB = values.database as string;
  const server = await resolveDatabaseUrl();
  const perMille = Number(values.changed);
  if (!Number.isInteger(perMille) || perMille < 1 || perMille > 1000) throw new Error('--changed takes a whole number of per mille from 1 to 1000');
  const url = await registerUrl(server, enterprises, perMille, values.rebuild ?? false);
  const sql = createSql(url, 4);
  await statistics(sql, REGISTER_TABLES, values['import-stats'] ? 'import' : values['leaf-stats'] ? 'leaf' : 'full');

  // Inputs drawn from the register itself.
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const names = (await sql<{ d: string }[]>`select denomination as d from denominations tablesample bernoulli (0.5) repeatable (7) where is_current limit ${n}`).map((r) => r.d);
  const numbers = (await sql<{ e: string }[]>`select enterprise_number as e from enterprises tablesample bernoulli (0.5) repeatable (8) where is_current limit ${n}`).map((r) => r.e);
  const changed = (await sql<{ e: string }[]>`select distinct entity_number as e from denominations where deleted_at_extract = 2 limit ${n}`).map((r) => r.e);
  const naces = (await sql<{ c: string }[]>`select nace_code as c from activities tablesample bernoulli (0.05) repeatable (9) where is_current limit ${n}`).map((r) => r.c);
  const places = await sql<{ zip: string; town: string }[]>`select zipcode as zip, municipality_nl as town from addresses tablesample bernoulli (0.5) repeatable (10) where is_current limit ${n}`;
  const forms = (await sql<{ f: string }[]>`select code as f from codes where category = 'JuridicalForm' and language = 'NL'`).map((r) => r.f);
  const [update] = await sql<{ id: number }[]>`select id from import_jobs where extract_number = 2`;
  const pick = <T>(xs: T[], i: number) => xs[i % xs.length] as T;
  const listing = await workOutChangeList(sql, update!.id);

  const kinds: [string, (i: number) => Promise<unknown>][] = [
    ['search: a number', (i) => searchRegister(sql, { q: pick(numbers, i).replaceAll('.', '') })],
    ['search: a name, its first word and a bit', (i) => searchRegister(sql, { q: pick(names, i).split(' ')[0] + ' ' + (pick(names, i).split(' ')[1] ?? '').slice(0, 2) })],
    ['search: a whole name', (i) => searchRegister(sql, { q: pick(names, i) })],
    ['search: a misspelt name', (i) => searchRegister(sql, { q: misspell(pick(names, i), rnd()) })],
    ['search: a first word, page 3', (i) => searchRegister(sql, { q: pick(names, i).split(' ')[0] as string, page: 3 })],
    ['search: a NACE code', (i) => searchRegister(sql, { nace: pick(naces, i) })],
    ['search: a postcode', (i) => searchRegister(sql, { place: pick(places, i).zip })],
    ['search: a municipality', (i) => searchRegister(sql, { place: pick(places, i).town })],
    ['search: a juridical form and status', (i) => searchRegister(sql, { form: pick(forms, i), status: 'AC' })],
    ['search: NACE and postcode', (i) => searchRegister(sql, { nace: pick(naces, i), place: pick(places, i).zip })],
    ['search: a name and a juridical form', (i) => searchRegister(sql, { q: pick(names, i).split(' ')[0] as string, form: pick(forms, i) })],
    ['entity page (now)', (i) => entityView(sql, pick(numbers, i), 'fr')],
    ['entity page as of extract 1', (i) => entityView(sql, pick(changed, i), 'nl', 1)],
    ['entity history', (i) => entityHistory(sql, pick(changed, i))],
    ['import changes, page 1', () => importChanges(sql, update!.id)],
    ['import changes, a deep page', (i) => importChanges(sql, update!.id, { page: 1 + (i % Math.max(1, Math.floor(listing.entries / 50))) })],
    ['import changes, one entity', (i) => importChanges(sql, update!.id, { number: pick(changed, i) })],
    // What every page of the list cost before it was kept: one pass over the whole extract.
    ['(before) import changes in one pass', () => sql`select count(*) from (${unionAll(sql, KBO_TABLES.map((t) => classifiedChanges(sql, t, 2, null)))}) c`],
  ];
  // Warm the caches a little (the town list, the plans), as a running app's would be.
  for (const [, run] of kinds) await run(0);

  const results: { kind: string; n: number; p50: number; p95: number; max: number }[] = [];
  for (const [kind, run] of kinds) {
    const times: number[] = [];
    for (let i = 1; i <= n; i++) {
      const t0 = performance.now();
      await run(i);
      times.push(performance.now() - t0);
    }
    results.push({ kind, n, p50: pct(times, 50), p95: pct(times, 95), max: Math.max(...times) });
  }
  await sql.end();

  console.log(`\nthe change list of extract 2 worked out once: ${fmt(listing.entries)} entities in ${listing.parts} parts, ${fmt(listing.seconds, 2)} s in all, the longest part ${fmt(listing.longestMs, 0)} ms`);
  const width = Math.max(...results.map((r) => r.kind.length));
  console.log(`\nregister of ${fmt(enterprises)} enterprises, an update of ${perMille / 10}% of them, ${n} queries a kind, one at a time (ms)`);
  console.log(`${'query'.padEnd(width)}      p50      p95      max`);
  for (const r of results) console.log(`${r.kind.padEnd(width)} ${fmt(r.p50, 1).padStart(8)} ${fmt(r.p95, 1).padStart(8)} ${fmt(r.max, 1).padStart(8)}`);
  const slow = results.filter((r) => r.p95 >= 100);
  console.log(slow.length ? `p95 of 100 ms or more: ${slow.map((r) => r.kind).join('; ')}` : 'every query kind: p95 under 100 ms');
  await mkdir('bench-results', { recursive: true });
  const file = path.join('bench-results', `register-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ enterprises, queries: n, changeList: listing, results }, null, 2));
  console.log(`written to ${file}`);
  return 0;
}

main().then(
  (code) => exitAfterStop(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    return exitAfterStop(1);
  },
);
