import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createSql } from '../../lib/db/client';
import { isDatabaseUnavailable } from '../../lib/db/unavailable';
import { startCutProxy } from '../helpers/cut-proxy';

/** Queries at once, each given `ms` to answer: what each came to. */
async function ask(sql: ReturnType<typeof createSql>, n: number, ms: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      Promise.race([
        sql`select 1 as x`.then(() => 'ok'),
        new Promise<string>((r) => setTimeout(() => r('no answer'), ms)),
      ]).catch((err) => (isDatabaseUnavailable(err) ? 'unavailable' : `error: ${(err as Error).message}`)),
    ),
  );
}

describe('the connection pool', () => {
  it('comes back by itself each time the database comes back, however often every connection failed meanwhile', async () => {
    const server = new URL(inject('adminUrl'));
    const proxy = await startCutProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const url = new URL(inject('adminUrl'));
    url.port = String(proxy.port);
    const sql = createSql(url.toString(), 4);
    try {
      for (let cycle = 0; cycle < 3; cycle++) {
        expect(await ask(sql, 6, 5_000), `cycle ${cycle}, up`).toEqual(Array(6).fill('ok'));
        await proxy.down();
        // Every connection of the pool fails, again and again, while the database is away.
        for (let i = 0; i < 3; i++) expect(await ask(sql, 6, 5_000), `cycle ${cycle}, down`).toEqual(Array(6).fill('unavailable'));
        await proxy.up();
        expect(await ask(sql, 6, 5_000), `cycle ${cycle}, back`).toEqual(Array(6).fill('ok'));
      }
    } finally {
      await sql.end({ timeout: 1 });
      await proxy.close();
    }
  });
});
