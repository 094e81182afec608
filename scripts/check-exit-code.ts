import { spawnSync } from 'node:child_process';

/**
 * A failing test must fail the run, on both database paths: the embedded server (no
 * DATABASE_URL, the README's default) and DATABASE_URL when it is set. Runs the canary
 * project (one test that fails on purpose) and exits non-zero unless every run did.
 */
const embedded = { ...process.env };
delete embedded.DATABASE_URL;
const paths: [string, NodeJS.ProcessEnv][] = [['embedded', embedded]];
if (process.env.DATABASE_URL) paths.push(['DATABASE_URL', process.env]);

let ok = true;
for (const [name, env] of paths) {
  const run = spawnSync('npx', ['vitest', 'run', '--project', 'canary'], { env, encoding: 'utf8' });
  const out = `${run.stdout}${run.stderr}`;
  const failedAsItShould = run.status !== 0 && run.status !== null && /1 failed/.test(out);
  console.log(`exit code check (${name}): the failing canary test exited ${run.status}${failedAsItShould ? ', as it must' : ', but it must exit non-zero'}`);
  if (!failedAsItShould) {
    ok = false;
    console.log(out);
  }
}
process.exit(ok ? 0 : 1);
