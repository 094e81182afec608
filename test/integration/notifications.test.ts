/** Notifications: every import's end (completed, failed, a failed batch, a stall) by webhook and email, once each, retried with backoff; the monitor's pings. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { cronTick } from '../../lib/imports/drive/cron';
import { advanceJob } from '../../lib/imports/jobs/advance';
import { driveImport } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { setFaults } from '../../lib/imports/jobs/faults';
import { applyPreview } from '../../lib/imports/jobs/preview';
import { retryBatches } from '../../lib/imports/jobs/retry';
import { getJobStatus } from '../../lib/imports/view/status';
import { deliverDue } from '../../lib/notify';
import { runSync } from '../../lib/sync';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip, refusal } from '../helpers/import';
import { startListener, startSmtp, untilDelivered } from '../helpers/listeners';
import { startPortal, type PortalImitation } from '../helpers/portal';
import { syncHelpers } from '../helpers/sync';

// The receivers, and the settings that point at them, before anything reads the settings.
const smtp = await startSmtp();
let failFirst = 0;
const hook = await startListener((n) => (n <= failFirst ? 500 : 200));
const monitor = await startListener();
process.env.SMTP_URL = smtp.url;
process.env.NOTIFY_EMAIL_TO = 'registry-desk@example.org, ops@example.org';
process.env.NOTIFY_WEBHOOK_URL = `${hook.url}/hooks/T000/secret`;
process.env.HEALTHCHECK_URL = `${monitor.url}/ping/0c4f`;
process.env.NOTIFY_STALL_MINUTES = '0.05'; // 3 s
process.env.NOTIFY_RETRY_SECONDS = '0.3';
process.env.APP_URL = 'https://kbo.example.org';
afterAll(async () => {
  await Promise.all([smtp.close(), hook.close(), monitor.close()]);
});

let t: TestDb;
let portal: PortalImitation | undefined;
beforeEach(async () => {
  t = await freshDb();
  smtp.mails.length = 0;
  hook.heard.length = 0;
  monitor.heard.length = 0;
  failFirst = 0;
});
afterEach(async () => {
  await portal?.close();
  portal = undefined;
  await t.drop();
});

type Body = { event: string; text: string; import?: { id: number; extractNumber: number; status: string; tables: Record<string, { inserted: number }>; link: string } };
const events = () => hook.heard.filter((h) => h.status === 200).map((h) => ({ key: h.headers['idempotency-key'] as string, ...(JSON.parse(h.body) as Body) }));
const byKey = <T extends { key: string }>(xs: T[]) => new Map(xs.map((x) => [x.key, xs.filter((y) => y.key === x.key).length]));

/** Waits (bounded) until `done` holds, sending what is due meanwhile as any step call would. */
const until = (done: () => boolean, what: string) => untilDelivered(t.db, done, what);

describe('notifications', () => {
  it('a completed import, a refused one and a failed batch are each told once, by webhook and by email, with two drivers', async () => {
    const model = new RegisterModel(4201);
    const full = await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 120, '2025-05-01')), { concurrency: 2, batchSize: 50 });
    await until(() => events().length >= 1 && smtp.mails.length >= 1, 'the completion is heard');
    const [done] = events();
    expect(done).toMatchObject({ key: `import:${full.job.id}:completed`, event: 'import.completed' });
    expect(done?.text).toMatch(new RegExp(`^Import #${full.job.id} \\(full 1, full\\.zip\\) completed in .*: [\\d,]+ rows inserted, 0 ended, 0 rejected\\.$`));
    expect(done?.import).toMatchObject({ id: full.job.id, extractNumber: 1, status: 'completed', link: `https://kbo.example.org/imports/${full.job.id}` });
    expect(done?.import?.tables.enterprises?.inserted).toBe(120);
    const mail = smtp.mails[0];
    expect(mail?.to).toEqual(['registry-desk@example.org', 'ops@example.org']);
    expect(mail?.subject).toBe(`[KBO import] #${full.job.id} completed: full 1`);
    expect(mail?.body).toContain('enterprises: 120 inserted, 0 ended, 0 unchanged');
    expect(mail?.body).toContain(`https://kbo.example.org/imports/${full.job.id}`);

    // A file refused by a bad row (fail-fast): told as a failure, naming why.
    const update = model.update(2, '2025-05-02', 0.2);
    const bad = { ...update.files, 'branch_insert.csv': '"Id","StartDate","EnterpriseNumber"\n"9.000.000.092",31-02-2025,"0200.000.043"\n' };
    const refused = await refusal(prepareImport(t.db, { fileName: update.fileName, data: await zipExtract({ ...update, files: bad }), onError: 'fail-fast' }));
    const failedId = (refused.details as { jobId: number }).jobId;
    await until(() => events().some((e) => e.event === 'import.failed'), 'the refusal is heard');
    expect(events().find((e) => e.event === 'import.failed')?.text).toMatch(/failed: 1 bad row found .* First problem: branch_insert\.csv line 2, column StartDate: "31-02-2025" is not a calendar date .* The register was left as it was\.$/);

    // The same UPDATE, good: one of its batches fails (the fault plan), waits, and is retried.
    await setFaults(t.db, { failBatches: 1, table: 'activities' });
    const prepared = await prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update), batchSize: 40 });
    const stuck = await driveImport(t.db, { jobId: prepared.job.id, concurrency: 2, idleMs: 10 });
    expect(stuck.failures).toHaveLength(1);
    await retryBatches(t.db, { jobId: prepared.job.id });
    await driveImport(t.db, { jobId: prepared.job.id, concurrency: 2, idleMs: 10 });
    await until(() => events().filter((e) => e.event === 'import.completed').length === 2, 'the second completion is heard');
    expect(events().find((e) => e.event === 'import.batch_failed')?.text).toMatch(
      new RegExp(`^Import #${prepared.job.id} \\(update 2, .*\\): batch \\d+ of activities \\(\\w+\\) failed on attempt 1: .* retry it on the import's page or with npm run import -- retry ${prepared.job.id}\\.$`),
    );
    // Every event once, on each channel, whatever the drivers.
    await new Promise((r) => setTimeout(r, 300));
    await deliverDue(t.db, { deadline: Date.now() + 1_000 });
    const heard = events();
    expect(heard.map((e) => e.event).sort()).toEqual(['import.batch_failed', 'import.completed', 'import.completed', 'import.failed']);
    expect([...byKey(heard).values()].every((n) => n === 1)).toBe(true);
    expect(smtp.mails.map((m) => m.headers['x-kbo-event']).sort()).toEqual(heard.map((e) => e.key).sort());
    // Recorded, and shown with the import.
    const shown = (await getJobStatus(t.db, prepared.job.id)).notifications;
    expect(shown.map((n) => `${n.event} ${n.channel} ${n.status} ${n.attempts}`).sort()).toEqual([
      'import.batch_failed email delivered 1',
      'import.batch_failed webhook delivered 1',
      'import.completed email delivered 1',
      'import.completed webhook delivered 1',
    ]);
    expect(shown.find((n) => n.channel === 'webhook')?.recipient).toBe(new URL(hook.url).host);
    expect((await getJobStatus(t.db, failedId)).notifications.map((n) => n.event)).toEqual(['import.failed', 'import.failed']);
  });

  it('a job nothing drives is told stalled once, by two cron ticks at once; driven again and left again, once more', async () => {
    const model = new RegisterModel(4202);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-05-01')));
    await until(() => events().length === 1, 'the FULL is heard');
    const update = model.update(2, '2025-05-02', 0.3);
    const job = (await prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update), batchSize: 30 })).job.id;
    // Left alone past NOTIFY_STALL_MINUTES (3 s).
    await new Promise((r) => setTimeout(r, 3_500));
    // Two cron ticks at once (1 ms each: time to look, none to drive): both see the stall; it is told once each way.
    await Promise.all([cronTick(t.db, 1), cronTick(t.db, 1)]);
    await until(() => events().some((e) => e.event === 'import.stalled'), 'the stall is heard');
    await cronTick(t.db, 1);
    await deliverDue(t.db, { deadline: Date.now() + 1_000 });
    const stalled = events().filter((e) => e.event === 'import.stalled');
    expect(stalled).toHaveLength(1);
    expect(stalled[0]?.text).toMatch(new RegExp(`^Import #${job} \\(update 2, .*\\) has not moved for \\d+ minutes while running, with \\d+ batches left: nothing is driving it\\.`));
    expect(smtp.mails.filter((m) => m.subject.startsWith(`[KBO import] #${job} stalled`))).toHaveLength(1);
    // Driven one step, then left again: a stall of its own.
    await advanceJob(t.db, { jobId: job, budgetMs: 0 });
    expect((await getJobStatus(t.db, job)).batches.pending).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3_500));
    await cronTick(t.db, 1);
    await until(() => events().filter((e) => e.event === 'import.stalled').length === 2, 'the second stall is heard');
    // Driven to the end, it completes and says so; a job that completed never stalls.
    await driveImport(t.db, { jobId: job, concurrency: 2, idleMs: 10 });
    await new Promise((r) => setTimeout(r, 3_500));
    await cronTick(t.db, 1_000);
    await until(() => events().filter((e) => e.event === 'import.completed').length === 2, 'its completion is heard');
    expect(events().filter((e) => e.event === 'import.stalled')).toHaveLength(2);
  });

  it('a preview applied after a long wait has not stalled, nor a job whose only work left waits behind a failed delete batch', async () => {
    const model = new RegisterModel(4204);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-05-01')));
    const update = model.update(2, '2025-05-02', 0.3);
    const preview = (await prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update), preview: true })).job.id;
    await driveImport(t.db, { jobId: preview, concurrency: 2, idleMs: 10 });
    await new Promise((r) => setTimeout(r, 3_500));
    await applyPreview(t.db, { jobId: preview });
    await cronTick(t.db, 1);
    await driveImport(t.db, { jobId: preview, concurrency: 2, idleMs: 10 });

    // A delete batch fails; the inserts of its number wait for its retry.
    const next = model.update(3, '2025-05-03', 0.3);
    await setFaults(t.db, { failBatches: 1, table: 'enterprises' });
    const job = (await prepareImport(t.db, { fileName: next.fileName, data: await zipExtract(next), batchSize: 20 })).job.id;
    const left = await driveImport(t.db, { jobId: job, concurrency: 2, idleMs: 10 });
    expect(left.failures.map((f) => `${f.table} ${f.operation}`)).toEqual(['enterprises delete']);
    expect(left.batches.blocked).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3_500));
    await cronTick(t.db, 1);
    await deliverDue(t.db, { deadline: Date.now() + 1_000 });
    expect(events().map((e) => e.event).sort()).toEqual(['import.batch_failed', 'import.completed', 'import.completed']);
    await retryBatches(t.db, { jobId: job });
    await driveImport(t.db, { jobId: job, concurrency: 2, idleMs: 10 });
    await until(() => events().filter((e) => e.event === 'import.completed').length === 3, 'the third completion is heard');
  });

  it('a receiver that fails is tried again with growing pauses until it takes it, every attempt recorded', async () => {
    failFirst = 2;
    const model = new RegisterModel(4203);
    const done = await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 30, '2025-05-01')));
    await until(() => events().length === 1, 'the third try is taken');
    expect(hook.heard.map((h) => h.status)).toEqual([500, 500, 200]);
    const [row] = await t.db<{ status: string; attempts: number; last_error: string | null }[]>`
      select status, attempts, last_error from notifications where job_id = ${done.job.id} and channel = 'webhook'`;
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    // Never sooner than its pause: 0.3 s, then 0.6 s (NOTIFY_RETRY_SECONDS, doubling).
    const [a, b, c] = hook.heard.map((h) => h.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(280);
    expect(c - b).toBeGreaterThanOrEqual(580);
  });

  it('the monitor hears start and success for a sync run, and start and fail for one that fails', async () => {
    portal = await startPortal();
    const { Days, client } = syncHelpers(() => ({ t, portal: portal as PortalImitation }));
    const days = await Days.start(40);
    await days.upTo(141);
    expect((await runSync(t.db, client())).current).toBe(true);
    expect(monitor.heard.map((h) => h.path)).toEqual(['/ping/0c4f/start', '/ping/0c4f']);
    const bad = await runSync(t.db, client('wrong'));
    expect(bad.current).toBe(false);
    expect(monitor.heard.map((h) => h.path)).toEqual(['/ping/0c4f/start', '/ping/0c4f', '/ping/0c4f/start', '/ping/0c4f/fail']);
    expect(monitor.heard[3]?.body).toMatch(/refused the user name and password/);
    // The failure is an alert too, and the pings are recorded.
    await until(() => events().some((e) => e.event === 'sync.failed'), 'the sync failure is heard');
    const pings = await t.db<{ channel: string; status: string }[]>`select channel, status from notifications where channel = 'healthcheck' order by id`;
    expect(pings.map((p) => p.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });
});
