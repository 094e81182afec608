import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { E2E_AUTH, E2E_DATABASE, E2E_DB_SWITCH } from '../e2e/auth';
import { closeDb, databaseUrl, recreateDatabase, resolveDatabaseUrl } from '../lib/db/client';
import { startCutProxy } from '../test/helpers/cut-proxy';
import { startPortal } from '../test/helpers/portal';
import { startListener, startSmtp } from '../test/helpers/listeners';

/**
 * Serves the built app on a database of its own (dropped and re-created each run), reached
 * through a proxy that a test can cut (POST /down on E2E_DB_SWITCH) and restore (POST /up), so
 * the app meets a database that really went away. Beside it, an imitation of the KBO portal
 * (test/helpers/portal.ts) that the app syncs from; a test publishes a file on it with
 * PUT /portal/<name> on the same switch. And a webhook and an SMTP server the app notifies;
 * GET /heard on the switch answers what they received.
 */
async function main() {
  const port = process.argv[2] ?? '3100';
  const serverUrl = await resolveDatabaseUrl();
  await recreateDatabase(serverUrl, E2E_DATABASE);
  const server = new URL(serverUrl);
  const proxy = await startCutProxy({ host: server.hostname, port: Number(server.port || 5432) });
  const viaProxy = new URL(databaseUrl(serverUrl, E2E_DATABASE));
  viaProxy.port = String(proxy.port);
  const portal = await startPortal();
  // Where the app's notifications go: a webhook and an SMTP server; GET /heard on the switch tells what arrived.
  const hook = await startListener();
  const smtp = await startSmtp();
  const control = new URL(E2E_DB_SWITCH);
  createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/heard') {
      const webhook = hook.heard.map((h) => ({ key: h.headers['idempotency-key'], body: JSON.parse(h.body || '{}') as unknown }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ webhook, mails: smtp.mails }));
      return;
    }
    const published = /^\/portal\/([A-Za-z0-9_.]+)$/.exec(req.url ?? '')?.[1];
    if (req.method === 'PUT' && published) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => (portal.files.set(published, Buffer.concat(chunks)), res.writeHead(204).end()));
      return;
    }
    const act = req.method === 'POST' && req.url === '/down' ? proxy.down() : req.method === 'POST' && req.url === '/up' ? proxy.up() : null;
    if (!act) return res.writeHead(404).end();
    void act.then(() => res.writeHead(204).end());
  }).listen(Number(control.port), control.hostname);

  const next = spawn('npx', ['next', 'start', '-p', port, '-H', '127.0.0.1'], {
    stdio: 'inherit',
    // Small batches, so a test can watch (and pause) an import mid-way; the fault switch on.
    env: {
      ...process.env,
      DATABASE_URL: viaProxy.toString(),
      IMPORT_BATCH_SIZE: '200',
      // Small parts: the browser sends every zip above 8 KiB in parts (a FULL in several).
      IMPORT_PART_BYTES: '8192',
      IMPORT_TEST_FAULTS: '1',
      // The zip server of the URL-fetch test listens there; every other private address stays refused.
      IMPORT_FETCH_ALLOW_HOSTS: '127.0.0.1',
      WATCH_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      KBO_PORTAL_URL: portal.base,
      KBO_PORTAL_USER: portal.user,
      KBO_PORTAL_PASSWORD: portal.password,
      NOTIFY_WEBHOOK_URL: `${hook.url}/hook`,
      SMTP_URL: smtp.url,
      NOTIFY_EMAIL_TO: 'desk@example.org',
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
