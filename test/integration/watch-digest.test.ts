/** One signed digest per watchlist per import, whatever the drivers, retried until taken; by email too; a rollback's withdrawal. */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKey, revokeKey } from '../../lib/auth/keys';
import { guardedPost } from '../../lib/net/remote';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { deliverDue } from '../../lib/notify';
import { createWatchlist, matchSteps, sendTest, updateWatchlist } from '../../lib/watch';
import { matchPart } from '../../lib/watch/match';
import { createSql } from '../../lib/db/client';
import { rollbackImport } from '../helpers/answers';
import { freshDb, holdInOtherConnection, type TestDb } from '../helpers/db';
import { importZip } from '../helpers/import';
import { startListener, startSmtp, untilDelivered } from '../helpers/listeners';

const smtp = await startSmtp();
// B's receiver fails its first two requests.
let failB = 2;
const hook = await startListener((_n, path) => (path === '/b' && failB-- > 0 ? 500 : 200));
process.env.SMTP_URL = smtp.url;
process.env.NOTIFY_RETRY_SECONDS = '0.3';
// Watchlists matched in several parts each, the ranges of a phase cut as they are taken (those
// of watch-match.test.ts are planned at once).
process.env.WATCH_PART_SIZE = '25';
process.env.WATCH_PLAN_PARTS = '2';
afterAll(async () => {
  await Promise.all([smtp.close(), hook.close()]);
});

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
  hook.heard.length = 0;
  smtp.mails.length = 0;
  failB = 2;
});
afterEach(async () => {
  await t.drop();
});

type Digest = { watchlist: number; extractNumber: number; jobId: number; total: number; matches: { number: string; kind: string; changes: unknown[] }[] };
const taken = (path: string) => hook.heard.filter((h) => h.path === path && h.status === 200);

const until = (done: () => boolean, what: string) => untilDelivered(t.db, done, what);

describe('watchlist digests', () => {
  it('one per watchlist per import, signed with its secret, with two drivers; a receiver failing twice takes the third; by email to its address; a rollback says its changes no longer stand', async () => {
    const model = new RegisterModel(4401);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 120, '2025-07-01')));
    const numbers = model.currentRows('enterprises').map((r) => r[0] as string);
    const who = { owner: 'desk', admin: false };
    const a = await createWatchlist(t.db, who, { name: 'A', numbers: numbers.filter((_, i) => i % 2 === 0), webhookUrl: `${hook.url}/a` });
    const b = await createWatchlist(t.db, who, { name: 'B', numbers: numbers.filter((_, i) => i % 2 === 1), webhookUrl: `${hook.url}/b`, email: 'watcher@example.org' });
    const update = model.update(2, '2025-07-02', 0.3);
    const job = (await importZip(t.db, update.fileName, await zipExtract(update), { concurrency: 2, batchSize: 30 })).job.id;
    await until(() => taken('/a').length === 1 && taken('/b').length === 1 && smtp.mails.length === 1, 'both digests and the email arrive');
    await new Promise((r) => setTimeout(r, 700));
    await deliverDue(t.db, { deadline: Date.now() + 1_000 });
    expect(taken('/a')).toHaveLength(1);
    expect(taken('/b')).toHaveLength(1);
    for (const [path, w] of [['/a', a], ['/b', b]] as const) {
      const h = taken(path)[0]!;
      expect(h.headers['idempotency-key']).toBe(`${w.id}-${job}`);
      expect(h.headers['x-kbo-signature']).toBe(`sha256=${createHmac('sha256', w.secret).update(h.body).digest('hex')}`);
      expect(h.headers['x-kbo-signature']).not.toBe(`sha256=${createHmac('sha256', w.secret === a.secret ? b.secret : a.secret).update(h.body).digest('hex')}`);
      const d = JSON.parse(h.body) as Digest;
      expect(d).toMatchObject({ watchlist: w.id, extractNumber: 2, jobId: job });
      const stored = await t.db<{ n: number }[]>`select count(*)::int as n from watch_matches where watchlist_id = ${w.id} and job_id = ${job}`;
      expect(d.total).toBe(stored[0]!.n);
      expect(d.matches).toHaveLength(d.total);
    }
    const tries = await t.db<{ attempts: number; status: string }[]>`select attempts, status from notifications where watchlist_id = ${b.id} and channel = 'webhook'`;
    expect(tries).toEqual([{ attempts: 3, status: 'delivered' }]);
    expect(hook.heard.filter((h) => h.path === '/b').map((h) => h.status)).toEqual([500, 500, 200]);
    expect(smtp.mails[0]).toMatchObject({ to: ['watcher@example.org'], subject: expect.stringMatching(/^\[KBO watch\] B: \d+ changes? in extract 2$/) });

    await rollbackImport(t.db, { jobId: job });
    await until(() => hook.heard.filter((h) => h.status === 200).length === 4, 'the withdrawals arrive');
    const withdrawn = hook.heard.filter((h) => h.status === 200).slice(2).map((h) => JSON.parse(h.body) as { watchlist: number; withdrawn: number });
    expect(withdrawn.map((w) => w.watchlist).sort()).toEqual([a.id, b.id].sort());
    expect(withdrawn.every((w) => w.withdrawn > 0)).toBe(true);
  });

  it('a watchlist\'s webhook is refused on a private address, and given up on when it answers too slowly, whatever trickles in', async () => {
    await expect((async () => guardedPost('http://169.254.169.254/latest/meta-data', {}, '{}', 1_000))()).rejects.toThrow(/loopback, private, link-local or reserved address/);
    await expect((async () => guardedPost('http://10.1.2.3/hook', {}, '{}', 1_000))()).rejects.toThrow(/loopback, private/);
    // A server that takes the request and never answers: the whole call ends at its time.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const started = Date.now();
    await expect(guardedPost(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`, {}, '{}', 400)).rejects.toThrow(/did not answer|could not be reached/);
    expect(Date.now() - started).toBeLessThan(5_000);
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('of a revoked API key\'s watchlist are not made: it follows nothing any more', async () => {
    const model = new RegisterModel(4402);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-07-01')));
    const key = await createKey(t.db, { name: 'gone' }, 'admin');
    const w = await createWatchlist(t.db, { owner: `key:${key.id}`, admin: false }, { name: 'K', numbers: model.currentRows('enterprises').map((r) => r[0] as string), webhookUrl: `${hook.url}/k` });
    await revokeKey(t.db, key.id);
    const update = model.update(2, '2025-07-02', 0.3);
    const job = (await importZip(t.db, update.fileName, await zipExtract(update))).job.id;
    expect((await t.db`select count(*)::int as n from watch_matches where watchlist_id = ${w.id} and job_id = ${job}`)[0]!.n).toBe(0);
  });
  it('exactly one per watchlist per import when a driver dies in every step of the matching (entities tied, numbers matched, a digest written), each not committed: the step is taken again, its matches the same', async () => {
    const model = new RegisterModel(4403);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 120, '2025-07-01')));
    const who = { owner: 'desk', admin: false };
    const a = await createWatchlist(t.db, who, { name: 'numbers', numbers: model.currentRows('enterprises').map((r) => r[0] as string), webhookUrl: `${hook.url}/m1` });
    const b = await createWatchlist(t.db, who, { name: 'search', search: { status: 'AC' }, webhookUrl: `${hook.url}/m2` });
    const update = model.update(2, '2025-07-02', 0.3);
    const job = (await importZip(t.db, update.fileName, await zipExtract(update))).job.id;
    const matchesNow = () => t.db<{ watchlist_id: number; number: string; kind: string; rows: unknown }[]>`
      select watchlist_id, number, kind, rows from watch_matches where job_id = ${job} order by watchlist_id, number`;
    const uninterrupted = await matchesNow();
    expect(uninterrupted.filter((m) => m.watchlist_id === a.id).length).toBeGreaterThan(0);
    expect(uninterrupted.filter((m) => m.watchlist_id === b.id).length).toBeGreaterThan(0);
    // The same job's matching again from the start, as if it had just completed.
    await t.db`delete from notifications where job_id = ${job}`;
    await t.db`delete from watch_matches where job_id = ${job}`;
    await t.db`delete from watch_steps where job_id = ${job}`;
    await t.db`update import_jobs set watch_pending = true where id = ${job}`;
    await matchSteps(t.db, job, 0);
    // More than WATCH_PLAN_PARTS ranges: one step planned, each planning the next as it is taken.
    const [plan] = await t.db<{ steps: number; entities: number }[]>`
      select (select count(*) from watch_steps where job_id = ${job})::int as steps, (select count(distinct n) from import_changes where job_id = ${job})::int as entities`;
    expect(plan!.entities).toBeGreaterThan(2 * 25);
    expect(plan!.steps).toBe(1);
    const digests = (w: number) => t.db<{ n: number }[]>`select count(*)::int as n from notifications where job_id = ${job} and watchlist_id = ${w} and event = 'watch.digest'`;

    // Each step: a driver takes it, does all it does, and dies before committing; the next takes it again.
    const died: Record<string, number> = {};
    for (;;) {
      const [next] = await t.db<{ phase: string; part: number }[]>`select phase, part from watch_steps where job_id = ${job} and not done order by part limit 1`;
      if (!next) break;
      const sent = async () => (await digests(a.id))[0]!.n + (await digests(b.id))[0]!.n;
      const before = await sent();
      const dying = createSql(t.url, 1);
      let pid = 0;
      let took!: () => void;
      const taken_ = new Promise<void>((r) => (took = r));
      const ended = dying
        .begin(async (tx) => {
          pid = (await tx<{ p: number }[]>`select pg_backend_pid() as p`)[0]!.p;
          expect(await matchPart(tx, job)).toBe(true);
          took();
          await new Promise((r) => setTimeout(r, 60_000));
        })
        .then(
          () => 'committed',
          () => 'died',
        );
      await taken_;
      await t.db`select pg_terminate_backend(${pid})`;
      expect(await ended).toBe('died');
      await dying.end().catch(() => undefined);
      died[next.phase] = (died[next.phase] ?? 0) + 1;
      const [again] = await t.db<{ done: boolean }[]>`select done from watch_steps where job_id = ${job} and phase = ${next.phase} and part = ${next.part}`;
      expect(again?.done, `${next.phase} ${next.part} died with its driver`).toBe(false);
      expect(await sent(), 'a digest stands once its step commits').toBe(before);
      expect(await t.db.begin((tx) => matchPart(tx, job))).toBe(true);
    }
    expect(died.subjects).toBeGreaterThan(1);
    expect(died.match).toBeGreaterThan(1);
    expect(died.digest).toBe(2);

    // The same matches as uninterrupted, one digest each.
    expect(await matchesNow()).toEqual(uninterrupted);
    expect((await digests(a.id))[0]!.n).toBe(1);
    await until(() => taken('/m1').length === 1 && taken('/m2').length === 1, 'both digests arrive');
    await deliverDue(t.db, { deadline: Date.now() + 1_000 });
    expect(taken('/m1')).toHaveLength(1);
    expect(taken('/m2')).toHaveLength(1);
    for (const [path, w] of [['/m1', a], ['/m2', b]] as const) {
      const h = taken(path)[0]!;
      expect(h.headers['x-kbo-signature']).toBe(`sha256=${createHmac('sha256', w.secret).update(h.body).digest('hex')}`);
      expect((JSON.parse(h.body) as Digest).total).toBe(uninterrupted.filter((m) => m.watchlist_id === w.id).length);
    }
  });

  it('for the watchlists there were when the import completed, the same whenever it is matched: after the next UPDATE was applied (a FULL into the empty register, an UPDATE), a key revoked meanwhile, a watchlist made meanwhile', async () => {
    const model = new RegisterModel(4404);
    const full = model.full(1, 80, '2025-07-01');
    const who = { owner: 'desk', admin: false };
    const key = await createKey(t.db, { name: 'program' }, 'admin');
    const numbers = model.currentRows('enterprises').map((r) => r[0] as string);
    const a = await createWatchlist(t.db, who, { name: 'numbers', numbers, webhookUrl: `${hook.url}/n` });
    const b = await createWatchlist(t.db, who, { name: 'search', search: { status: 'AC' }, webhookUrl: `${hook.url}/s` });
    const k = await createWatchlist(t.db, { owner: `key:${key.id}`, admin: false }, { name: 'key', numbers: numbers.slice(0, 40) });
    const jobs = [(await importZip(t.db, full.fileName, await zipExtract(full))).job.id];
    const update = model.update(2, '2025-07-02', 0.3);
    jobs.push((await importZip(t.db, update.fileName, await zipExtract(update))).job.id);
    const matchesOf = (job: number) => t.db<{ watchlist_id: number; number: string; kind: string; rows: unknown }[]>`
      select watchlist_id, number, kind, rows from watch_matches where job_id = ${job} order by watchlist_id, number`;
    const first = [await matchesOf(jobs[0]!), await matchesOf(jobs[1]!)];
    for (const [i, m] of first.entries()) {
      for (const [name, w] of [['numbers', a], ['search', b], ['key', k]] as const) expect(m.filter((x) => x.watchlist_id === w.id).length, `job ${i}, ${name}`).toBeGreaterThan(0);
    }
    expect(first[0]!.every((m) => m.kind === 'added')).toBe(true);

    // Both forgotten; then the next UPDATE applied, the key revoked, a watchlist made; then both matched again.
    for (const job of jobs) {
      await t.db`delete from notifications where job_id = ${job}`;
      await t.db`delete from watch_matches where job_id = ${job}`;
      await t.db`delete from watch_steps where job_id = ${job}`;
      await t.db`update import_jobs set watch_pending = true where id = ${job}`;
    }
    const next = model.update(3, '2025-07-03', 0.5);
    await importZip(t.db, next.fileName, await zipExtract(next));
    await revokeKey(t.db, key.id);
    const late = await createWatchlist(t.db, who, { name: 'late', numbers });
    for (const job of jobs) await matchSteps(t.db, job, Date.now() + 60_000);
    expect(await matchesOf(jobs[0]!)).toEqual(first[0]);
    expect(await matchesOf(jobs[1]!)).toEqual(first[1]);
    expect((await t.db`select count(*)::int as n from watch_matches where watchlist_id = ${late.id} and job_id = any(${jobs})`)[0]!.n).toBe(0);
  });
  it('a digest waits while its watchlist is being changed (its row held), rather than on it, and goes once it is free', async () => {
    const model = new RegisterModel(4405);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-07-01')));
    const w = await createWatchlist(t.db, { owner: 'desk', admin: false }, { name: 'W', numbers: model.currentRows('enterprises').map((r) => r[0] as string), webhookUrl: `${hook.url}/w` });
    const update = model.update(2, '2025-07-02', 0.3);
    const job = (await importZip(t.db, update.fileName, await zipExtract(update))).job.id;
    await t.db`delete from notifications where job_id = ${job}`;
    await t.db`update watch_steps set done = false where job_id = ${job} and phase = 'digest'`;
    const editing = await holdInOtherConnection(t.url, (tx) => tx`select 1 from watchlists where id = ${w.id} for update`);
    // Were the step to wait on the row, this call would never return (the row is released after it).
    await matchSteps(t.db, job, Date.now() + 1_000);
    expect((await t.db`select done from watch_steps where job_id = ${job} and phase = 'digest'`)[0]!.done).toBe(false);
    await editing.release();
    await matchSteps(t.db, job, Date.now() + 1_000);
    expect((await t.db`select count(*)::int as n from notifications where job_id = ${job} and watchlist_id = ${w.id} and event = 'watch.digest'`)[0]!.n).toBe(1);
  });
  it('a test is sent at once, signed with the secret (a new one once asked for), and said when it fails, never retried', async () => {
    const who = { owner: 'desk', admin: false };
    const w = await createWatchlist(t.db, who, { name: 'T', numbers: ['0200.065.765'], webhookUrl: `${hook.url}/t` });
    const rotated = (await updateWatchlist(t.db, who, w.id, { newSecret: true })) as { secret?: string };
    expect(rotated.secret).toBeDefined();
    expect(rotated.secret).not.toBe(w.secret);
    expect(await sendTest(t.db, who, w.id)).toEqual({ sent: [{ channel: 'webhook', recipient: expect.stringContaining('127.0.0.1'), delivered: true, error: null }] });
    const h = taken('/t')[0]!;
    expect(JSON.parse(h.body)).toMatchObject({ watchlist: w.id, test: true });
    expect(h.headers['x-kbo-signature']).toBe(`sha256=${createHmac('sha256', rotated.secret!).update(h.body).digest('hex')}`);
    // Another's watchlist is not found; one with nowhere to send says so.
    await expect(sendTest(t.db, { owner: 'other', admin: false }, w.id)).rejects.toThrow(/does not exist/);
    const quiet = await createWatchlist(t.db, who, { name: 'Q', numbers: ['0200.065.765'] });
    await expect(sendTest(t.db, who, quiet.id)).rejects.toThrow(/no webhook or email/);
    // A receiver that refuses: not delivered, why, and no second try later.
    await updateWatchlist(t.db, who, w.id, { webhookUrl: `${hook.url}/b` });
    const failed = await sendTest(t.db, who, w.id);
    expect(failed.sent[0]).toMatchObject({ delivered: false, error: 'the webhook answered 500' });
    await new Promise((r) => setTimeout(r, 500));
    await deliverDue(t.db, { deadline: Date.now() + 1_000 });
    expect(hook.heard.filter((x) => x.path === '/b')).toHaveLength(1);
    expect((await t.db`select status from notifications where watchlist_id = ${w.id} order by id desc limit 1`)[0]!.status).toBe('failed');
  });
});
