import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureEmbeddedPostgres, startOwnPostgres } from '../../lib/db/embedded';

describe('the embedded PostgreSQL', () => {
  it('says which port is taken, and how to choose another, when something else listens on it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    // Beside the shared server's (.data/pg): a directory the postgres user can enter when run as root.
    await mkdir('.data', { recursive: true });
    const dir = await mkdtemp(path.resolve('.data', 'port-test-'));
    await chmod(dir, 0o755);
    const dataDir = path.join(dir, 'pg');
    try {
      await expect(ensureEmbeddedPostgres({ dataDir, port })).rejects.toThrow(
        `port ${port} is taken by another program. Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to a PostgreSQL of your own.`,
      );
    } finally {
      holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('names the data directory of another PostgreSQL left running on its port, and how to stop it', async () => {
    const free = net.createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    await mkdir('.data', { recursive: true });
    const dir = await mkdtemp(path.resolve('.data', 'port-test-'));
    await chmod(dir, 0o755);
    const other = await startOwnPostgres({ dataDir: path.join(dir, 'left-running'), port });
    try {
      await expect(ensureEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port })).rejects.toThrow(
        `port ${port} is taken by the PostgreSQL of ${path.join(dir, 'left-running')} (stop it: pg_ctl stop -D ${path.join(dir, 'left-running')}).`,
      );
    } finally {
      await other.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
