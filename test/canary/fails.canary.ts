import { afterAll, expect, it } from 'vitest';
import { freshDb, type TestDb } from '../helpers/db';

/**
 * A test that must fail: scripts/check-exit-code.ts runs it (on the embedded server and on
 * DATABASE_URL) and expects a non-zero exit, so a failing suite can never pass as green.
 */
let t: TestDb | undefined;
afterAll(async () => t?.drop());

it('fails on purpose, after using the database', async () => {
  t = await freshDb();
  const [r] = await t.db<{ n: number }[]>`select 1 as n`;
  expect(r?.n).toBe(2);
});
