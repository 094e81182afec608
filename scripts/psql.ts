import { spawn } from 'node:child_process';
import { closeDb, resolveDatabaseUrl } from '../lib/db/client';

/**
 * `npm run db:psql`: psql on the app's database (DATABASE_URL, else the embedded server,
 * started for the session if nothing else runs it). Arguments after `--` go to psql.
 */
async function main(): Promise<number> {
  const url = await resolveDatabaseUrl();
  const args = process.argv.slice(2);
  return new Promise((resolve) => {
    const psql = spawn('psql', [url, ...args], { stdio: 'inherit' });
    psql.on('error', () => {
      console.error(`psql is not installed here (apt-get install postgresql-client); connect any PostgreSQL client to ${url}`);
      resolve(1);
    });
    psql.on('exit', (code) => resolve(code ?? 1));
  });
}

main()
  .then(async (code) => {
    await closeDb();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(err instanceof Error ? err.message : err);
    await closeDb().catch(() => {});
    process.exit(1);
  });
