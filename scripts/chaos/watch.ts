/** The chaos test's watchlists: the same ones in both databases, their matches compared, one signed digest per watchlist and import delivered. */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSeries } from '../../lib/generator';
import type { Sql } from '../../lib/db/client';
import { deliverDue } from '../../lib/notify';
import { createWatchlist } from '../../lib/watch';

/** A webhook receiver on this machine, keeping what it was sent. */
export async function startReceiver(): Promise<{ url: string; heard: { path: string; signature: string; body: string }[]; close: () => Promise<void> }> {
  const heard: { path: string; signature: string; body: string }[] = [];
  const server = createServer((req, res) => {
    // Whole before decoding: a character's bytes may be split between two chunks.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      heard.push({ path: req.url ?? '', signature: String(req.headers['x-kbo-signature'] ?? ''), body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, heard, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * Two watchlists, made before the FULL: every enterprise of the FULL and every other of its
 * establishments by number, and a saved search (the active enterprises). Made the same in each
 * database; returns their secrets by name.
 */
export async function makeWatchlists(dbs: Sql[], o: { enterprises: number; seed: number; hook: string }): Promise<Map<string, string>> {
  const first = generateSeries({ enterprises: o.enterprises, updates: 0, base: 146, seed: o.seed }).next();
  if (first.done) throw new Error('the series has no FULL');
  const model = first.value.model;
  const numbers = [...model.currentRows('enterprises').map((r) => r[0] as string), ...model.currentRows('establishments').filter((_, i) => i % 2 === 0).map((r) => r[0] as string)];
  const secrets = new Map<string, string>();
  for (const sql of dbs) {
    const who = { owner: 'chaos', admin: false };
    secrets.set('numbers', (await createWatchlist(sql, who, { name: 'numbers', numbers, webhookUrl: `${o.hook}/numbers` })).secret);
    secrets.set('search', (await createWatchlist(sql, who, { name: 'search', search: { status: 'AC' }, webhookUrl: `${o.hook}/search` })).secret);
  }
  return secrets;
}

/** Every watchlist's matches in one checksum: per watchlist name, extract and number, its kind and the rows it says changed. */
export async function matchChecksum(sql: Sql): Promise<{ rows: number; md5: string }> {
  const [r] = await sql<{ rows: number; md5: string | null }[]>`
    select count(*)::int as rows,
           md5(string_agg(w.name || '|' || m.extract_number || '|' || m.number || '|' || m.kind || '|' || m.rows::text || '|' || (m.withdrawn_at is null)::text,
                          E'\\n' order by w.name, m.extract_number, m.number)) as md5
    from watch_matches m join watchlists w on w.id = m.watchlist_id`;
  return { rows: r?.rows ?? 0, md5: r?.md5 ?? '' };
}

/** The same per watchlist and extract, to say where two databases differ. */
export async function matchGroups(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql<{ k: string; md5: string }[]>`
    select w.name || ' extract ' || m.extract_number as k,
           md5(string_agg(m.number || '|' || m.kind || '|' || m.rows::text || '|' || (m.withdrawn_at is null)::text, E'\\n' order by m.number)) as md5
    from watch_matches m join watchlists w on w.id = m.watchlist_id group by w.name, m.extract_number`;
  return new Map(rows.map((r) => [r.k, r.md5]));
}

/** Matching not yet done for any import (planned or not). */
export async function matchingLeft(sql: Sql): Promise<boolean> {
  const [r] = await sql<{ left: boolean }[]>`
    select exists (select 1 from import_jobs where watch_pending) or exists (select 1 from watch_steps where not done) as left`;
  return Boolean(r?.left);
}

/**
 * Sends every digest due (as the cron would) until the receiver has one per watchlist and
 * import with matches; returns how many pairs had not exactly one digest recorded and
 * received, or a signature that did not verify.
 */
export async function digestsOnce(sql: Sql, receiver: Awaited<ReturnType<typeof startReceiver>>, secrets: Map<string, string>): Promise<{ pairs: number; wrong: number }> {
  const pairs = await sql<{ name: string; job: number; digests: number }[]>`
    select w.name, m.job_id as job,
           (select count(*) from notifications n where n.watchlist_id = w.id and n.job_id = m.job_id and n.event = 'watch.digest')::int as digests
    from watch_matches m join watchlists w on w.id = m.watchlist_id
    where m.withdrawn_at is null group by w.id, w.name, m.job_id`;
  for (let i = 0; i < 100 && receiver.heard.length < pairs.length; i++) {
    await deliverDue(sql, { deadline: Date.now() + 2_000 });
    await new Promise((r) => setTimeout(r, 200));
  }
  await deliverDue(sql, { deadline: Date.now() + 1_000 });
  let wrong = 0;
  for (const p of pairs) {
    const got = receiver.heard.filter((h) => h.path === `/${p.name}` && (JSON.parse(h.body) as { jobId: number }).jobId === p.job);
    const signed = got.every((h) => h.signature === `sha256=${createHmac('sha256', secrets.get(p.name) ?? '').update(h.body).digest('hex')}`);
    if (p.digests !== 1 || got.length !== 1 || !signed) {
      wrong++;
      console.log(`  digest of ${p.name} for import #${p.job}: ${p.digests} recorded, ${got.length} received${signed ? '' : ', a signature that does not verify'}`);
    }
  }
  return { pairs: pairs.length, wrong: wrong + Math.max(0, receiver.heard.length - pairs.length) };
}
