import type { Sql } from '../../db/client';
import { deliverNow, recordPing } from '../../notify';

/**
 * Pings the monitor outside the app (HEALTHCHECK_URL), healthchecks.io's way: `start` as a
 * sync run begins, `success` or `fail` as it ends, so a scheduler that died is noticed by
 * something still alive. Recorded like any notification (the sync page lists them) and sent at
 * once, twice at most; a ping that could not go out is not worth sending late. Never throws.
 */
export async function pingMonitor(sql: Sql, run: string, what: 'start' | 'success' | 'fail', text: string): Promise<void> {
  try {
    const ids = await recordPing(sql, `healthcheck:${run}`, what, text);
    if (ids.length) await deliverNow(sql, ids, 2);
    // Too late to mean anything: what did not go out is given up.
    if (ids.length) await sql`update notifications set status = 'failed' where id = any(${ids}::bigint[]) and status = 'pending'`;
  } catch (err) {
    console.warn('[kbo-import] the monitor was not pinged:', (err as Error).message);
  }
}

/** Pings older than a day are dropped (two a minute otherwise pile up); the latest stay for the sync page. */
export async function prunePings(sql: Sql): Promise<void> {
  await sql`delete from notifications where channel = 'healthcheck' and status in ('delivered', 'failed') and created_at < now() - interval '1 day'`;
}
