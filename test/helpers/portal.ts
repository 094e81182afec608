import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local imitation of the KBO Open Data portal, as strict as what is known of the real one:
 * a login form that sets a JSESSIONID (path /kbo-open-data/), a form POST of j_username and
 * j_password that rotates the session id and redirects to affiliation/index ("Logged in as …")
 * or back to the form with ?error; 400 without browser-like User-Agent, Accept and
 * Accept-Language; a listing (table#row, a row per day, links relative to affiliation/xml/);
 * downloads with Range; sessions that end after a few requests (the next page redirects to
 * the login); and, on demand, a download cut off part way or the whole portal away.
 */
export interface PortalImitation {
  /** `http://127.0.0.1:<port>/kbo-open-data` */
  base: string;
  user: string;
  password: string;
  /** Files listed and served, by name; change it between runs (a new day, a file gone). */
  files: Map<string, Buffer>;
  /** A session ends after this many requests made with it (default 1,000,000). */
  sessionRequests: number;
  /** Serve this many more file requests whole, then cut the next one off after half its bytes (null: never). */
  cutAfter: number | null;
  /** Where the listing is: `{base}/affiliation/xml/?files` (default) or, as newer reports have it, `{base}/affiliation/xml?form=`. */
  listingAt: 'files' | 'form';
  /** While true, every connection is refused (the server closes it at once). */
  away: boolean;
  /** Every request: method, path, whether it carried a live session. */
  requests: { method: string; path: string; session: boolean }[];
  logins: number;
  close(): Promise<void>;
}

const PREFIX = '/kbo-open-data';

export async function startPortal(opts: { user?: string; password?: string } = {}): Promise<PortalImitation> {
  const sessions = new Map<string, { user: string | null; used: number }>();
  const state: Omit<PortalImitation, 'base' | 'close'> = {
    user: opts.user ?? 'kbo-user',
    password: opts.password ?? 'kbo-secret',
    files: new Map(),
    sessionRequests: 1_000_000,
    cutAfter: null,
    listingAt: 'files',
    away: false,
    requests: [],
    logins: 0,
  };

  const sessionOf = (req: IncomingMessage) => /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const newSession = (res: ServerResponse, user: string | null) => {
    const id = randomBytes(12).toString('hex').toUpperCase();
    sessions.set(id, { user, used: 0 });
    res.setHeader('set-cookie', `JSESSIONID=${id}; Path=${PREFIX}/; HttpOnly`);
    return id;
  };
  const toLogin = (res: ServerResponse, query = '') => res.writeHead(302, { location: `${PREFIX}/login${query}` }).end();

  const server = createServer((req, res) => {
    if (state.away) return req.socket.destroy();
    const url = new URL(req.url ?? '/', 'http://portal');
    const id = sessionOf(req);
    const session = id ? sessions.get(id) : undefined;
    const live = Boolean(session?.user) && (session?.used ?? 0) < state.sessionRequests;
    state.requests.push({ method: req.method ?? '', path: url.pathname + url.search, session: live });
    if (session) session.used++;
    const h = req.headers;
    if (!/Mozilla/.test(h['user-agent'] ?? '') || !h.accept || !h['accept-language']) return res.writeHead(400).end('Bad Request');
    const path = url.pathname;

    if (req.method === 'GET' && path === `${PREFIX}/login`) {
      newSession(res, null);
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`<html><body>${url.searchParams.has('error') ? '<p class="error">Ongeldige gebruikersnaam of wachtwoord</p>' : ''}
        <form method="post" action="${PREFIX}/static/j_spring_security_check"><input name="j_username"><input type="password" name="j_password"></form></body></html>`);
    }
    if (req.method === 'POST' && path === `${PREFIX}/static/j_spring_security_check`) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        // Spring Security wants the session the form was served with, and a form-encoded body.
        if (!session || !/application\/x-www-form-urlencoded/.test(h['content-type'] ?? '')) return toLogin(res, '?error');
        if (form.get('j_username') !== state.user || form.get('j_password') !== state.password) return toLogin(res, '?error');
        state.logins++;
        sessions.delete(id as string);
        newSession(res, state.user); // the session id changes at login
        res.writeHead(302, { location: `${PREFIX}/affiliation/index` }).end();
      });
      return;
    }
    if (!live) return toLogin(res);
    if (req.method === 'GET' && path === `${PREFIX}/affiliation/index`) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`<html><body><p>Ingelogd als ${state.user}</p><a href="xml/?files">Open Data</a></body></html>`);
    }
    const listing = state.listingAt === 'files' ? path === `${PREFIX}/affiliation/xml/` && url.search === '?files' : path === `${PREFIX}/affiliation/xml` && url.searchParams.has('form');
    if (req.method === 'GET' && listing) {
      const byDay = new Map<string, string[]>();
      for (const name of [...state.files.keys()].sort().reverse()) {
        const day = /_(\d{4}_\d{2}_\d{2})_/.exec(name)?.[1]?.replaceAll('_', '-') ?? '';
        byDay.set(day, [...(byDay.get(day) ?? []), name]);
      }
      const rows = [...byDay].map(([day, names]) => `<tr><td>${day}</td><td>${names.map((n) => `<a href="files/${n}">${n}</a>`).join('<br>')}</td></tr>`).join('\n');
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`<html><body><table id="row"><thead><tr><th>Datum</th><th>Bestanden</th></tr></thead><tbody>${rows}</tbody></table></body></html>`);
    }
    const file = /^\/kbo-open-data\/affiliation\/xml\/files\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && file) {
      const bytes = state.files.get(decodeURIComponent(file));
      if (!bytes) return res.writeHead(404).end('Not Found');
      const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(h.range ?? '') ?? [];
      const start = a === undefined ? 0 : Number(a);
      const end = b === undefined ? bytes.length - 1 : Math.min(Number(b), bytes.length - 1);
      const part = bytes.subarray(start, end + 1);
      res.writeHead(a === undefined ? 200 : 206, {
        'content-type': 'application/zip',
        'content-length': part.length,
        ...(a === undefined ? {} : { 'content-range': `bytes ${start}-${end}/${bytes.length}` }),
      });
      if (state.cutAfter !== null && state.cutAfter-- <= 0) {
        state.cutAfter = null;
        res.write(part.subarray(0, part.length >> 1));
        return setTimeout(() => res.socket?.destroy(), 10);
      }
      return res.end(part);
    }
    res.writeHead(404).end('Not Found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const portal = state as PortalImitation;
  portal.base = `http://127.0.0.1:${port}${PREFIX}`;
  portal.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return portal;
}
