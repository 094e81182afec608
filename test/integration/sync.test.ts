/** The sync with the KBO portal, run at once: from empty, day by day, over a gap, through the portal's failures, and as `npm run sync` (cron ticks and alerts: sync-cron.test.ts). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSync } from '../../lib/sync';
import { applyPreview } from '../../lib/imports/jobs/preview';
import { driveImport } from '../../lib/imports/drive/loop';
import { tableChecksums } from '../helpers/import';
import { freshDb, type TestDb } from '../helpers/db';
import { startPortal, type PortalImitation } from '../helpers/portal';
import { PART, startWebhook, syncHelpers } from '../helpers/sync';

process.env.IMPORT_PART_BYTES = String(PART);
// Alerts go to a webhook, as in every sync test; these tests do not read what it hears.
await startWebhook(() => 200);

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

const { Days, client, expectRegisterAt, jobs } = syncHelpers(() => ({ t, portal }));

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

  it('--dry-run prints the plan and previews its first file, changing nothing; the preview then applies', async () => {
    const days = await Days.start();
    await days.upTo(141);
    expect((await runSync(t.db, client())).current).toBe(true);
    await days.upTo(143);
    const before = await tableChecksums(t.db);
    const dry = await syncCli(portal.password, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('2 to import after extract 141: 142, 143.');
    expect(dry.stdout).toMatch(/^preview #(\d+): update extract 142 .* previewed$/m);
    expect(dry.stdout).toMatch(/^preview: nothing was changed; applying extract 142 would change these entities:$/m);
    expect(await tableChecksums(t.db)).toEqual(before);
    // No run recorded: the sync is where it was.
    expect((await t.db`select count(*)::int as n from sync_runs`)[0]!.n).toBe(1);
    const id = Number(/^preview #(\d+)/m.exec(dry.stdout)?.[1]);
    await applyPreview(t.db, { jobId: id });
    await driveImport(t.db, { jobId: id, concurrency: 2, idleMs: 10 });
    await expectRegisterAt(days, 142);
    // The next sync carries on from there.
    expect((await runSync(t.db, client())).current).toBe(true);
    await expectRegisterAt(days, 143);
  });
});
