/** The sync as a scheduler runs it: short cron ticks, a paused import it waits on, and the alerts its webhook hears. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { pauseImport, resumeImport } from '../../lib/imports/jobs/controls';
import { runSync, syncTick } from '../../lib/sync';
import { freshDb, type TestDb } from '../helpers/db';
import { startPortal, type PortalImitation } from '../helpers/portal';
import { PART, startWebhook, syncHelpers } from '../helpers/sync';

process.env.IMPORT_PART_BYTES = String(PART);

// The alerts' webhook: records what it is sent; answers `webhookStatus`.
let webhookStatus = 200;
const received = await startWebhook(() => webhookStatus);

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
