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
