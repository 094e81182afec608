/**
 * npm run sync: one pass that brings the register up to date from the KBO portal, and exits 0
 * once it is current (non-zero with one line saying why otherwise).
 * npm run sync -- --status: where the sync stands, and its recent runs.
 */
import { parseArgs } from 'node:util';
import { closeDb, getDb } from '../lib/db/client';
import { isDatabaseUnavailable } from '../lib/db/unavailable';
import { ConfigError } from '../lib/env';
import { isImportFailure } from '../lib/errors';
import { JOB } from '../lib/imports';
import { importChanges } from '../lib/register';
import { portalFromEnv, previewSync, runSync, SYNC_TRIGGER, syncStatus, type Portal } from '../lib/sync';
import type { Sql } from '../lib/db/client';
import { previewSummary, summary } from './import/format';

const usage = `usage: npm run sync                 bring the register up to date from the KBO portal
       npm run sync -- --status      the last applied extract, the portal's newest, the last check, recent runs
       npm run sync -- --dry-run     print the plan, and preview its first file (nothing changes;
                                     then npm run import -- apply|discard <id>)
       npm run sync -- --json        (either) as JSON
Needs KBO_PORTAL_USER and KBO_PORTAL_PASSWORD (KBO_PORTAL_URL defaults to the real portal).`;

const when = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'never');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { status: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' }, concurrency: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  });
  if (values.help) return console.log(usage), 0;
  const db = await getDb();
  if (values.status) {
    const s = await syncStatus(db);
    if (values.json) return console.log(JSON.stringify(s, null, 2)), 0;
    console.log(`portal: ${s.portalUrl}${s.configured ? '' : ' (no account set: KBO_PORTAL_USER, KBO_PORTAL_PASSWORD)'}`);
    console.log(`register: ${s.register ? `extract ${s.register.extractNumber}, snapshot ${s.register.snapshotDate ?? '?'}` : 'empty'}`);
    console.log(`portal's newest: ${s.portal.newest ?? 'unknown'}${s.portal.newestDate ? ` (${s.portal.newestDate})` : ''}${s.behind !== null ? `; behind by ${s.behind} extract(s), ${s.lagDays ?? '?'} day(s)` : ''}`);
    console.log(`last check: ${when(s.lastCheck.at)}${s.lastCheck.outcome ? `: ${s.lastCheck.outcome}` : ''}; next scheduled: ${when(s.nextCheckAt)}`);
    if (s.alertUndelivered) console.log(`alert not delivered: ${s.alertUndelivered}`);
    for (const r of s.runs) {
      const plan = r.plan.map((p) => p.number).join(', ') || 'nothing new';
      console.log(`  run #${r.id} ${when(r.startedAt)} (${r.trigger}): ${r.outcome}; from ${r.fromExtract ?? 'empty'}: ${plan}${r.error ? `; ${r.error}` : ''}`);
    }
    return 0;
  }
  const portal = portalFromEnv();
  if (!portal) {
    console.error('error (VALIDATION): no KBO portal account is set: set KBO_PORTAL_USER and KBO_PORTAL_PASSWORD (docs/configuration.md).');
    return 2;
  }
  const concurrency = values.concurrency ? Number(values.concurrency) : 2;
  if (values['dry-run']) return dryRun(db, portal, concurrency, Boolean(values.json));
  const result = await runSync(db, portal, { trigger: SYNC_TRIGGER.cli, concurrency, log: (line) => console.log(line) });
  if (values.json) console.log(JSON.stringify(result));
  if (result.current) return 0;
  console.error(`error: ${result.message}`);
  return 1;
}

/** The plan, and the preview of its first file: what it would do per table, and its entities. */
async function dryRun(db: Sql, portal: Portal, concurrency: number, json: boolean): Promise<number> {
  const r = await previewSync(db, portal, { concurrency, log: (line) => !json && console.log(line) });
  if (json) return console.log(JSON.stringify(r)), 0;
  if (!r.preview) return console.log(r.plan), 0;
  console.log(summary(r.preview));
  if (r.preview.job.status !== JOB.previewed) {
    console.error(`error: preview #${r.preview.job.id} is ${r.preview.job.status}${r.preview.job.error ? `: ${r.preview.job.error.message}` : ''}`);
    return 1;
  }
  console.log(previewSummary(r.preview, (await importChanges(db, r.preview.job.id)).summary));
  return 0;
}

main()
  .then(async (code) => {
    await closeDb();
    process.exit(code);
  })
  .catch(async (err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else if (isDatabaseUnavailable(err)) console.error('error (DATABASE_UNAVAILABLE): the database could not be reached. Nothing was lost; run npm run sync again once it is up.');
    else if (isImportFailure(err)) console.error(`error (${err.code}): ${err.message}`);
    else console.error(err);
    await closeDb().catch(() => {});
    process.exit(1);
  });
