/** Helpers of the sync tests: the alerts webhook, and the register's days as the KBO portal imitation publishes them. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { KBO_TABLES } from '../../lib/kbo/spec';
import { KboPortal } from '../../lib/sync';
import type { TestDb } from './db';
import { currentRows } from './import';
import type { PortalImitation } from './portal';

// Small parts, so that a daily zip comes in several range requests (a download can stop between them).
export const PART = 8 * 1024;

export interface Alert {
  kind: string;
  text: string;
  lagDays: number | null;
}

/**
 * The alerts' webhook, for the test file: SYNC_WEBHOOK_URL points at it and it closes after the
 * file's tests. It answers `status()`, and records what it is sent (in the list returned) when that is 200.
 */
export async function startWebhook(status: () => number): Promise<Alert[]> {
  const received: Alert[] = [];
  const webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (status() === 200) received.push(JSON.parse(body));
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  process.env.SYNC_WEBHOOK_URL = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  afterAll(() => new Promise<void>((r) => webhook.close(() => r())));
  return received;
}

const day = (n: number) => new Date(Date.UTC(2025, 9, 1 + n - 140)).toISOString().slice(0, 10);

/**
 * The register's days as the portal publishes them since October 2025: a FULL of the state
 * and the UPDATE that led to it, the same number, each day. Day 140 is only a FULL.
 */
export class PublishedDays {
  readonly model = new RegisterModel(1501);
  /** The model's rows per table just after each extract. */
  readonly states = new Map<number, Record<string, unknown[]>>();
  private last = 140;
  private constructor(private readonly portal: PortalImitation) {}
  static async start(portal: PortalImitation, enterprises = 150): Promise<PublishedDays> {
    const days = new PublishedDays(portal);
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
      this.portal.files.set(update.fileName, await zipExtract(update));
      const full = this.model.snapshot(x, day(x));
      this.portal.files.set(full.fileName, await zipExtract(full));
      this.keep(x);
    }
    this.last = Math.max(this.last, n);
  }
  /** The portal keeps about a month: drop the files before `n`. */
  dropBefore(n: number) {
    for (const name of [...this.portal.files.keys()]) if (Number(/_(\d{4})_/.exec(name)?.[1]) < n) this.portal.files.delete(name);
  }
}

/** The sync tests' helpers, on the database and portal `world()` gives (the current test's, read at each call). */
export function syncHelpers(world: () => { t: TestDb; portal: PortalImitation }) {
  return {
    Days: { start: (enterprises?: number) => PublishedDays.start(world().portal, enterprises) },
    client: (password?: string) => {
      const { portal } = world();
      return new KboPortal(portal.base, portal.user, password ?? portal.password);
    },
    /** The register is as the portal's extract `n` left it, and `n` is the last import completed. */
    expectRegisterAt: async (days: PublishedDays, n: number) => {
      const { t } = world();
      const state = days.states.get(n) as Record<string, unknown[]>;
      for (const { table } of KBO_TABLES) expect(await currentRows(t.db, table), `${table} at ${n}`).toEqual(state[table]);
      const [job] = await t.db<{ n: number }[]>`select extract_number as n from import_jobs where status = 'completed' order by id desc limit 1`;
      expect(job?.n).toBe(n);
    },
    jobs: async () => world().t.db<{ extract: number; mode: string; status: string }[]>`select extract_number as extract, mode, status from import_jobs order by id`,
  };
}
