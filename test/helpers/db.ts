import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createSql, databaseUrl, type Sql } from '../../lib/db/client';

export interface TestDb {
  db: Sql;
  url: string;
  drop: () => Promise<void>;
}

/** A database of its own for one test, cloned from the migrated template. */
export async function freshDb(): Promise<TestDb> {
  const adminUrl = inject('adminUrl');
  const name = `kbo_t_${randomBytes(5).toString('hex')}`;
  const admin = createSql(adminUrl, 1);
  await admin`create database ${admin(name)} template ${admin(inject('template'))}`;
  await admin.end();
  const url = databaseUrl(adminUrl, name);
  const db = createSql(url, 10);
  return {
    db,
    url,
    drop: async () => {
      await db.end({ timeout: 5 });
      const a = createSql(adminUrl, 1);
      await a`drop database if exists ${a(name)} with (force)`;
      await a.end();
    },
  };
}

/**
 * Holds what `take` locks in a transaction on a connection of its own, as another driver or a
 * rollback would, until `release` (which ends the transaction and the connection).
 */
export async function holdInOtherConnection(url: string, take: (tx: Sql) => Promise<unknown>): Promise<{ release: () => Promise<void> }> {
  const other = createSql(url, 1);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let taken!: () => void;
  const isTaken = new Promise<void>((r) => (taken = r));
  const holding = other.begin(async (tx) => {
    await take(tx as unknown as Sql);
    taken();
    await held;
  });
  await isTaken;
  return {
    release: async () => {
      release();
      await holding;
      await other.end();
    },
  };
}
