import net from 'node:net';
import path from 'node:path';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { env } from '../env';
import { defaultDataDir, embeddedUrl, ensureEmbeddedPostgres, stopEmbeddedPostgres } from './embedded';
import * as schema from './schema';

export type Sql = postgres.Sql;
/** A transaction's handle: what set-based steps that must commit together receive. */
export type Tx = postgres.TransactionSql;
/** What one statement runs on: the pool, or the transaction it must commit with. */
export type Queryable = Sql | Tx;

const MIGRATION_LOCK = 4_710_147; // pg_advisory_lock key: one migrator at a time across processes

/**
 * A postgres.js client with the app's settings: no prepared statements (safe behind a
 * transaction pooler), dates kept as ISO strings, quiet notices.
 */
export function createSql(url: string, max = env().DATABASE_POOL_MAX): Sql {
  const sql = postgres(url, {
    max,
    prepare: false,
    onnotice: () => {},
    types: {
      // `date` stays 'yyyy-mm-dd' rather than becoming a JS Date at local midnight.
      date: { to: 1082, from: [1082], serialize: (v: string) => v, parse: (v: string) => v },
    },
    connection: { application_name: 'kbo-import' },
    backoff: reconnectDelaySeconds,
    // Supported by postgres.js at runtime, missing from its typings.
    ...({ socket: connectNoDelay } as object),
  });
  keepAsText(sql);
  return sql;
}

/** Dates, times and array types whose values pass through as PostgreSQL's text. */
const TEXT_TYPES = [1082, 1083, 1182, 1185, 1115, 1231];

/**
 * The conversions the app's statements are written for: a timestamp comes back as a Date (as
 * the schema's row types say), a `date` as 'yyyy-mm-dd' (no local midnight), and a json or
 * jsonb parameter is the text the statement wrote (`${JSON.stringify(v)}::jsonb`), sent as it
 * is rather than encoded a second time.
 */
function keepAsText(sql: Sql): void {
  const asIs = (v: unknown) => v;
  for (const oid of TEXT_TYPES) {
    sql.options.parsers[oid] = asIs;
    sql.options.serializers[oid] = asIs;
  }
  sql.options.serializers[114] = asIs;
  sql.options.serializers[3802] = asIs;
}

/**
 * How long a pooled connection waits before connecting again after a failed connection, in
 * seconds, given the failures so far (counted across the pool, reset by a success).
 * postgres.js's own delay grows to 20 s after seven failures (`3^n / 100`), so a database
 * that was away for ten seconds stayed unusable for up to 20 s more; the pages and the 503's
 * Retry-After promise a retry every 5 s. This one grows to 1 s.
 */
export function reconnectDelaySeconds(failures: number): number {
  return Math.min(1, 0.05 * 2 ** failures) * (0.5 + Math.random() / 2);
}

/**
 * postgres.js leaves Nagle's algorithm on, so the small CopyDone after a COPY's data waits
 * for the server's delayed ACK (~40 ms per COPY here). We hand it sockets with TCP_NODELAY
 * instead. The socket is handed over at once, still connecting (what it writes waits for the
 * connection): a refused connection then reaches postgres.js as the socket's own error and
 * close, which return the connection to its pool. A promise that rejected instead left the
 * connection "connecting" for ever, and once every connection of the pool had failed once,
 * every query waited for good: the database was back, the app was not.
 */
function connectNoDelay(options: { host: string[]; port: number[]; path?: string | false }): net.Socket {
  return options.path
    ? net.connect({ path: options.path })
    : net.connect({ host: options.host[0] ?? '127.0.0.1', port: options.port[0] ?? 5432, noDelay: true });
}

/** Drizzle over a client: only its migrator uses it (every statement is a postgres.js template). */
function drizzleOf(sql: Sql): PostgresJsDatabase<typeof schema> {
  return drizzle({ client: sql, schema });
}

/** Applies the committed migrations under ./drizzle, serialised across processes. */
export async function applyMigrations(url: string, migrationsFolder = path.join(process.cwd(), 'drizzle')): Promise<void> {
  const lock = createSql(url, 1);
  const sql = createSql(url, 1);
  let locked = false;
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
    locked = true;
    await migrate(drizzleOf(sql), { migrationsFolder });
  } finally {
    // Only a lock taken is given back: a query on a client that never connected would wait
    // forever with nothing to keep the process alive, and it would exit 0 in the middle.
    if (locked) await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await Promise.all([lock.end({ timeout: 5 }), sql.end({ timeout: 5 })]);
  }
}

/** The same server's URL, pointing at another database (tests and the e2e server make their own). */
export function databaseUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops database `name` on the server of `serverUrl` (closing its connections), creates it empty, and gives its URL. */
export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = createSql(serverUrl, 1);
  try {
    await admin`drop database if exists ${admin(name)} with (force)`;
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end();
  }
  return databaseUrl(serverUrl, name);
}

/** The database URL to use: DATABASE_URL, or the embedded server (started if needed). */
export async function resolveDatabaseUrl(): Promise<string> {
  const e = env();
  if (e.DATABASE_URL) return e.DATABASE_URL;
  await ensureEmbeddedPostgres({ dataDir: e.EMBEDDED_PG_DIR ?? defaultDataDir(), port: e.EMBEDDED_PG_PORT });
  return embeddedUrl(e.EMBEDDED_PG_PORT);
}

const globalForDb = globalThis as unknown as { kboDb?: Promise<Sql> };

/** The one client of this process, migrated and ready. Survives Next's dev reloads. */
export function getDb(): Promise<Sql> {
  globalForDb.kboDb ??= (async () => {
    const url = await resolveDatabaseUrl();
    await applyMigrations(url);
    return createSql(url);
  })().catch((err) => {
    globalForDb.kboDb = undefined;
    throw err;
  });
  return globalForDb.kboDb;
}

/** Closes the client, and stops the embedded server if this process started it. */
export async function closeDb(): Promise<void> {
  const pending = globalForDb.kboDb;
  globalForDb.kboDb = undefined;
  if (pending) await (await pending).end({ timeout: 5 });
  await stopEmbeddedPostgres();
}

export { stopEmbeddedPostgres };

/**
 * Ends a script: stops the embedded server if this process started it, then exits with
 * `code`. `process.exit` alone skips the hook that stops it, which left a postmaster running
 * on the embedded port, and the next clone's `npm test` could not start its own there.
 */
export async function exitAfterStop(code: number): Promise<never> {
  await stopEmbeddedPostgres().catch(() => {});
  process.exit(code);
}
