import { spawn } from 'node:child_process';
import { E2E_AUTH } from '../e2e/auth';
import { closeDb, createSql, databaseUrl, resolveDatabaseUrl } from '../lib/db/client';

/** Serves the built app on a database of its own (dropped and re-created each run). */
async function main() {
  const port = process.argv[2] ?? '3100';
  const serverUrl = await resolveDatabaseUrl();
  const admin = createSql(serverUrl, 1);
  await admin`drop database if exists kbo_e2e with (force)`;
  await admin`create database kbo_e2e`;
  await admin.end();

  const next = spawn('npx', ['next', 'start', '-p', port, '-H', '127.0.0.1'], {
    stdio: 'inherit',
    // Small batches, so a test can watch (and pause) an import mid-way; the fault switch on.
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(serverUrl, 'kbo_e2e'),
      IMPORT_BATCH_SIZE: '200',
      // Small parts: the browser sends every zip above 8 KiB in parts (a FULL in several).
      IMPORT_PART_BYTES: '8192',
      IMPORT_TEST_FAULTS: '1',
      ...E2E_AUTH,
    },
  });
  const stop = async () => {
    next.kill('SIGTERM');
    await closeDb();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  next.on('exit', async (code) => {
    await closeDb();
    process.exit(code ?? 1);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
