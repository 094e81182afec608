import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { KBO_TABLES } from '../../lib/kbo/spec';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { pauseImport, resumeImport } from '../../lib/imports/jobs/controls';
import { KboPortal, runSync, syncTick } from '../../lib/sync';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows } from '../helpers/import';
import { startPortal, type PortalImitation } from '../helpers/portal';

// Small parts, so that a daily zip comes in several range requests (a download can stop between them).
const PART = 8 * 1024;
process.env.IMPORT_PART_BYTES = String(PART);

// The alerts' webhook: records what it is sent; answers `webhookStatus`.
const received: { kind: string; text: string; lagDays: number | null }[] = [];
let webhookStatus = 200;
const webhook = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    if (webhookStatus === 200) received.push(JSON.parse(body));
    res.writeHead(webhookStatus).end();
  });
});
await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
process.env.SYNC_WEBHOOK_URL = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
afterAll(() => new Promise<void>((r) => webhook.close(() => r())));

let t: TestDb;
let portal: PortalImitation;
beforeEach(async () => {
  t = await freshDb();
  portal = await startPortal();
});
afterEach(async () => {
  await portal.close();
  await t.drop();
});

/**
 * The register's days as the portal publishes them since October 2025: a FULL of the state
 * and the UPDATE that led to it, the same number, each day. Day 140 is only a FULL.
 */
class Days {
  readonly model = new RegisterModel(1501);
  /** The model's rows per table just after each extract. */
  readonly states = new Map<number, Record<string, unknown[]>>();
  private last = 140;
  static async start(enterprises = 150): Promise<Days> {
    const days = new Days();
    const full = days.model.full(140, enterprises, day(140));
    portal.files.set(full.fileName, await zipExtract(full));
    days.keep(140);
    return days;
  }
  private keep(n: number) {
    this.states.set(n, Object.fromEntries([...KBO_TABLES.map((k) => k.table), 'codes'].map((table) => [table, this.model.currentRows(table as never)])));
  }
  async upTo(n: number) {
    for (let x = this.last + 1; x <= n; x++) {
      const update = this.model.update(x, day(x), 0.05);
      portal.files.set(update.fileName, await zipExtract(update));
      const full = this.model.snapshot(x, day(x));
      portal.files.set(full.fileName, await zipExtract(full));
      this.keep(x);
    }
    this.last = Math.max(this.last, n);
  }
  /** The portal keeps about a month: drop the files before `n`. */
  dropBefore(n: number) {
    for (const name of [...portal.files.keys()]) if (Number(/_(\d{4})_/.exec(name)?.[1]) < n) portal.files.delete(name);
  }
}

const day = (n: number) => new Date(Date.UTC(2025, 9, 1 + n - 140)).toISOString().slice(0, 10);
const client = (password?: string) => new KboPortal(portal.base, portal.user, password ?? portal.password);

async function expectRegisterAt(days: Days, n: number) {
  const state = days.states.get(n) as Record<string, unknown[]>;
  for (const { table } of KBO_TABLES) expect(await currentRows(t.db, table), `${table} at ${n}`).toEqual(state[table]);
  const [job] = await t.db<{ n: number }[]>`select extract_number as n from import_jobs where status = 'completed' order by id desc limit 1`;
  expect(job?.n).toBe(n);
}

const jobs = async () => t.db<{ extract: number; mode: string; status: string }[]>`select extract_number as extract, mode, status from import_jobs order by id`;

describe('sync with the KBO portal', () => {
  it('from empty loads the newest FULL; later days come as UPDATEs in order; a run with nothing new imports nothing', async () => {
    const days = await Days.start();
    await days.upTo(143);
    const lines: string[] = [];
    const first = await runSync(t.db, client(), { log: (l) => lines.push(l) });
    expect(first.current, first.message).toBe(true);
    expect(lines.join('\n')).toContain('The register is empty: 143 (FULL, load).');
    await expectRegisterAt(days, 143);
    expect(await jobs()).toEqual([{ extract: 143, mode: 'initial', status: 'completed' }]);

    await days.upTo(146);
    lines.length = 0;
    const second = await runSync(t.db, client(), { log: (l) => lines.push(l) });
    expect(second.current, second.message).toBe(true);
    expect(lines[0]).toBe('3 to import after extract 143: 144, 145, 146.');
    await expectRegisterAt(days, 146);
    expect((await jobs()).map((j) => `${j.extract} ${j.mode}`)).toEqual(['143 initial', '144 update', '145 update', '146 update']);

    const again = await runSync(t.db, client());
    expect(again).toMatchObject({ current: true, message: "The register is at extract 146, the portal's newest: nothing to do." });
    expect(await jobs()).toHaveLength(4);
    const runs = await t.db`select outcome, from_extract, newest_on_portal, jsonb_array_length(plan) as steps from sync_runs order by id`;
    expect(runs.map((r) => [r.outcome, r.from_extract, r.newest_on_portal, r.steps])).toEqual([
      ['up_to_date', null, 143, 1],
      ['up_to_date', 143, 146, 3],
      ['up_to_date', 146, 146, 0],
    ]);
  });

  it('bridges a gap the portal no longer covers with a resync from the newest FULL', async () => {
    const days = await Days.start();
    await days.upTo(141);
    expect((await runSync(t.db, client())).current).toBe(true);
    await expectRegisterAt(days, 141);
    await days.upTo(148);
    days.dropBefore(144); // 142 and 143 are gone
    const lines: string[] = [];
    const r = await runSync(t.db, client(), { log: (l) => lines.push(l) });
    expect(r.current, r.message).toBe(true);
    expect(lines[0]).toBe('1 to import after extract 141: 148 (FULL, resync).');
    await expectRegisterAt(days, 148);
    expect((await jobs()).map((j) => `${j.extract} ${j.mode}`)).toEqual(['141 initial', '148 resync']);
  });

  it('a wrong password stops with one clear line, recorded; the portal away likewise', async () => {
    const days = await Days.start();
    await days.upTo(141);
    const wrong = await runSync(t.db, client('not-the-password'));
    expect(wrong).toMatchObject({ current: false, message: expect.stringMatching(/^The KBO portal refused the user name and password/) });
    portal.away = true;
    const away = await runSync(t.db, client());
    expect(away.current).toBe(false);
    expect(away.message).toMatch(/^The KBO portal \(http:\/\/127\.0\.0\.1:\d+\/kbo-open-data\) could not be reached/);
    const runs = await t.db`select outcome, error from sync_runs order by id`;
    expect(runs.map((r) => r.outcome)).toEqual(['error', 'error']);
    expect(await jobs()).toEqual([]);
    portal.away = false;
    expect((await runSync(t.db, client())).current).toBe(true);
    await expectRegisterAt(days, 141);
  });

  it('a download cut off part way is resumed by the next run, asking only for the parts it lacks', async () => {
    const days = await Days.start(400);
    await days.upTo(140);
    const size = portal.files.get('KboOpenData_0140_2025_10_01_Full.zip')?.length as number;
    expect(size).toBeGreaterThan(3 * PART);
    // The size probe and two parts come whole; the third part is cut off.
    portal.cutAfter = 3;
    const cut = await runSync(t.db, client());
    expect(cut.current).toBe(false);
    expect(cut.message).toMatch(/KBO portal/);
    const [stored] = await t.db<{ parts: number }[]>`select count(*)::int as parts from import_upload_parts`;
    expect(stored?.parts).toBe(2);
    portal.requests.length = 0;
    const resumed = await runSync(t.db, client());
    expect(resumed.current, resumed.message).toBe(true);
    await expectRegisterAt(days, 140);
    const ranges = portal.requests.filter((r) => r.path.includes('/files/')).length;
    expect(ranges).toBe(Math.ceil(size / PART) - 2);
  });

  it('a session that ends every few requests is logged into again, and the sync completes; the listing is found at its newer address too', async () => {
    const days = await Days.start();
    await days.upTo(140);
    portal.listingAt = 'form';
    expect((await runSync(t.db, client())).current).toBe(true);
    await days.upTo(143);
    portal.sessionRequests = 3;
    const r = await runSync(t.db, client());
    expect(r.current, r.message).toBe(true);
    await expectRegisterAt(days, 143);
    expect(portal.logins).toBeGreaterThan(3);
  });

  it('two syncs at once: one does the work, the other says so and leaves it alone', async () => {
    const days = await Days.start();
    await days.upTo(142);
    const [a, b] = await Promise.all([runSync(t.db, client()), runSync(t.db, client())]);
    const messages = [a.message, b.message];
    expect(messages.filter((m) => m === 'Another sync is under way; this one leaves it alone.')).toHaveLength(1);
    expect([a, b].filter((r) => r.current)).toHaveLength(1);
    await expectRegisterAt(days, 142);
    expect((await jobs()).map((j) => j.extract)).toEqual([142]);
  });
});

/** `npm run sync -- <args>` as a user runs it, against this test's database and portal. */
async function syncCli(password: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: t.url, KBO_PORTAL_URL: portal.base, KBO_PORTAL_USER: portal.user, KBO_PORTAL_PASSWORD: password };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/sync.ts', ...args], { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the cron path', () => {
  it('syncs in short ticks: checks the listing when due, fetches in parts, drives the imports, until current; a second scheduler at once leaves it alone', async () => {
    const days = await Days.start();
    await days.upTo(143);
    const ticks: string[] = [];
    // Ticks of a few milliseconds: one part, one import step at a time.
    for (let i = 0; i < 400; i++) {
      const until = Date.now() + 5;
      const [a, b] = await Promise.all([syncTick(t.db, client(), until), syncTick(t.db, client(), until)]);
      ticks.push(...[...a, ...b].map((p) => p.state));
      if (ticks.includes('done')) break;
    }
    await expectRegisterAt(days, 143);
    expect(ticks).toContain('busy'); // the other scheduler found the lease taken
    expect(ticks).toContain('fetching');
    expect((await jobs()).map((j) => j.extract)).toEqual([143]);

    // A check is due only every SYNC_CHECK_MINUTES: new files wait for it, and the next due check finds them.
    await days.upTo(144);
    const early = await syncTick(t.db, client(), Date.now() + 1_000);
    expect(early.map((p) => p.state)).toEqual(['checked']);
    expect(early[0]?.message).toMatch(/Checked the portal recently/);
    await t.db`update sync_state set last_check_at = now() - interval '11 minutes'`;
    const later: string[] = [];
    for (let i = 0; i < 50 && !later.includes('done'); i++) later.push(...(await syncTick(t.db, client(), Date.now() + 1_000)).map((p) => p.state));
    expect(later[0]).toBe('planned');
    await expectRegisterAt(days, 144);
  });
});

describe('a paused import', () => {
  it('makes the sync wait, without a failed run or an alert, on every tick, until it is resumed', async () => {
    const days = await Days.start();
    expect((await runSync(t.db, client())).current).toBe(true);
    await days.upTo(141);
    // An admin uploads UPDATE 141 by hand and pauses it.
    const bytes = portal.files.get('KboOpenData_0141_2025_10_02_Update.zip') as Buffer;
    const prepared = await prepareImport(t.db, { fileName: 'KboOpenData_0141_2025_10_02_Update.zip', data: bytes });
    await pauseImport(t.db, { jobId: prepared.job.id });
    received.length = 0;
    const r = await runSync(t.db, client());
    expect(r).toMatchObject({ current: false, message: `Import #${prepared.job.id} (extract 141) is paused; resume or cancel it, and the sync carries on.` });
    for (let i = 0; i < 3; i++) expect((await syncTick(t.db, client(), Date.now() + 200)).map((p) => p.state)).toEqual(['waiting']);
    expect(received).toEqual([]);
    expect((await t.db`select outcome from sync_runs order by id`).map((x) => x.outcome)).toEqual(['up_to_date']);
    await resumeImport(t.db, { jobId: prepared.job.id });
    expect((await runSync(t.db, client())).current).toBe(true);
    await expectRegisterAt(days, 141);
  });
});

describe('sync alerts', () => {
  it('the webhook hears of a failure and of a register lagging past SYNC_MAX_LAG_DAYS; an alert it cannot take shows in the status', async () => {
    const days = await Days.start();
    await days.upTo(141);
    expect((await runSync(t.db, client())).current).toBe(true);
    await days.upTo(145);
    received.length = 0;
    portal.cutAfter = 0; // the first download is cut off: the sync fails, 4 days behind
    const r = await runSync(t.db, client());
    expect(r.current).toBe(false);
    expect(received.map((a) => a.kind)).toEqual(['failure', 'lag']);
    expect(received[0]?.text).toMatch(/^KBO sync: the sync failed: The KBO portal/);
    expect(received[1]).toMatchObject({ lagDays: 4, text: expect.stringContaining("4 days behind the portal's newest (145); more than the 2 allowed") });

    // The lag alert is not repeated within the day; a failure alert is, and when the webhook fails it is kept.
    webhookStatus = 500;
    portal.cutAfter = 0;
    await runSync(t.db, client());
    webhookStatus = 200;
    expect(received).toHaveLength(2);
    const [state] = await t.db`select alert_undelivered from sync_state`;
    expect(state?.alert_undelivered).toMatch(/^failure alert of .* not delivered \(the webhook answered 500, 3 tries\): the sync failed/);

    // Caught up: the sync succeeds (the undelivered note stays until an alert gets through).
    const ok = await runSync(t.db, client());
    expect(ok.current, ok.message).toBe(true);
    await expectRegisterAt(days, 145);
  });
});

describe('npm run sync', () => {
  it('prints its plan and exits 0 once current; a wrong password exits 1 with one line; --status tells where it stands', async () => {
    const days = await Days.start();
    await days.upTo(142);
    const wrong = await syncCli('nope');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('error: The KBO portal refused the user name and password (KBO_PORTAL_USER, KBO_PORTAL_PASSWORD); check them on the portal.');
    const ok = await syncCli(portal.password);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('The register is empty: 142 (FULL, load).');
    expect(ok.stdout).toContain('The register is up to date: extract 142.');
    await expectRegisterAt(days, 142);
    const status = await syncCli(portal.password, '--status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('register: extract 142, snapshot 2025-10-03');
    expect(status.stdout).toContain("portal's newest: 142 (2025-10-03); behind by 0 extract(s), 0 day(s)");
    expect(status.stdout).toMatch(/run #2 .* \(cli\): up_to_date; from empty: 142/);
    expect(status.stdout).toMatch(/run #1 .* \(cli\): error; from empty: nothing new; The KBO portal refused/);
  });
});
