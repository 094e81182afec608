/** The chaos test's two databases: the reference on the usual server, the chaos one on a PostgreSQL of its own that is killed and restarted. */
import { rmSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations, createSql, databaseUrl, resolveDatabaseUrl } from '../../lib/db/client';
import { startOwnPostgres, type OwnPostgres } from '../../lib/db/embedded';
import { stopLeftover } from './processes';

export interface ChaosDatabases {
  /** The run's temporary directory: the own server's data, and the generated files. */
  dir: string;
  pg: OwnPostgres;
  urls: { ref: string; chaos: string };
}

/** Creates both databases, migrated; the own server (on `port`) and the directory go with the process however it ends. */
export async function startDatabases(port: number): Promise<ChaosDatabases> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbo-chaos-'));
  await chmod(dir, 0o755); // as root, the server runs as `postgres`, which must reach its data directory
  const server = await resolveDatabaseUrl();
  const admin = createSql(server, 1);
  await admin`drop database if exists kbo_chaos_reference with (force)`;
  await admin`create database kbo_chaos_reference`;
  await admin.end();
  stopLeftover(port);
  const pg = await startOwnPostgres({ dataDir: path.join(dir, 'pg'), port });
  // However the run ends, its server and files go with it.
  process.once('exit', () => {
    const pid = pg.pid();
    if (pid) stopLeftover(port);
    rmSync(dir, { recursive: true, force: true });
  });
  const ownAdmin = createSql(pg.url(), 1);
  await ownAdmin`create database kbo_chaos`;
  await ownAdmin.end();
  const urls = { ref: databaseUrl(server, 'kbo_chaos_reference'), chaos: pg.url('kbo_chaos') };
  await applyMigrations(urls.ref);
  await applyMigrations(urls.chaos);
  return { dir, pg, urls };
}
