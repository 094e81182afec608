import { ImportFailure } from '../errors';
import { trustedRequest, type RemoteResponse } from '../net/remote';
import { portalFile, type PortalFile } from './plan';

/** What a sync needs of the portal: the files it lists, and a file's bytes (a range of them). */
export interface Portal {
  /** Every extract the portal lists now. */
  listing(): Promise<PortalFile[]>;
  /** The file's size in bytes. */
  size(name: string): Promise<number>;
  /** Bytes `start` to `end` (inclusive) of a listed file. */
  range(name: string, start: number, end: number): Promise<Buffer>;
}

export const DEFAULT_PORTAL_URL = 'https://kbopub.economie.fgov.be/kbo-open-data';

/** The portal answers some clients only when they look like a browser. */
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) kbo-microbatch-import',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'nl-BE,nl;q=0.9,fr-BE;q=0.8,en;q=0.7',
};

const LOGGED_IN = /Logged in as|Ingelogd als|Connecté en tant que|Angemeldet als/i;
const PAGE_BYTES = 4 * 1024 * 1024;

/** The portal said no to the credentials: a sync cannot go on until they are changed. */
export class PortalLoginRefused extends ImportFailure {
  constructor() {
    super('PORTAL_LOGIN_REFUSED', 'The KBO portal refused the user name and password (KBO_PORTAL_USER, KBO_PORTAL_PASSWORD); check them on the portal.');
  }
}

/**
 * The KBO Open Data portal, as the programs that download from it use it: log in with a form
 * (the session cookie changes at login, so cookies are collected on every hop), read the
 * listing's links, download with the session. A session can end at any moment: a page asked
 * without one redirects to the login (or a listing comes back without links); then it logs in
 * again and asks once more.
 */
export class KboPortal implements Portal {
  private readonly base: string;
  /** The base as messages show it: without any user and password written into the URL. */
  private readonly shown: string;
  private cookies = new Map<string, string>();
  private loggedIn = false;

  constructor(
    base: string,
    private readonly user: string,
    private readonly password: string,
  ) {
    this.base = base.replace(/\/+$/, '');
    this.shown = shownUrl(this.base);
  }

  async listing(): Promise<PortalFile[]> {
    return this.withSession(async () => {
      let res = await this.request('GET', `${this.base}/affiliation/xml/?files`, PAGE_BYTES);
      // Newer reports give the listing at another address.
      if (res.status === 404) res = await this.request('GET', `${this.base}/affiliation/xml?form=`, PAGE_BYTES);
      if (isLoginRedirect(res, this.base)) return null;
      if (res.status !== 200) throw this.unexpected('the listing', res.status);
      const html = res.body.toString('utf8');
      const files = listedFiles(html);
      // A page without a single link, or the login form itself: the session is gone.
      if (files.length === 0 && (/j_username|j_spring_security_check/.test(html) || !/table/i.test(html))) return null;
      return files;
    });
  }

  async size(name: string): Promise<number> {
    return this.withSession(async () => {
      const res = await this.request('GET', this.fileUrl(name), 1, { range: 'bytes=0-0' });
      if (isLoginRedirect(res, this.base)) return null;
      const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
      if (res.status === 206 && total) return Number(total);
      const length = Number(res.headers['content-length']);
      if (res.status === 200 && length > 0) return length;
      throw this.unexpected(name, res.status);
    });
  }

  async range(name: string, start: number, end: number): Promise<Buffer> {
    return this.withSession(async () => {
      const res = await this.request('GET', this.fileUrl(name), end + 1, { range: `bytes=${start}-${end}` });
      if (isLoginRedirect(res, this.base)) return null;
      if (res.status === 206) return res.body;
      // A portal that ignores ranges sends the whole file: keep the part asked for.
      if (res.status === 200) return res.body.subarray(start, end + 1);
      throw this.unexpected(name, res.status);
    });
  }

  private fileUrl(name: string): string {
    if (!portalFile(name)) throw new ImportFailure('VALIDATION', `${name} is not the name of a KBO extract.`);
    return `${this.base}/affiliation/xml/files/${encodeURIComponent(name)}`;
  }

  /** Runs `ask` with a session, logging in first when there is none or when `ask` found it gone (null). */
  private async withSession<T>(ask: () => Promise<T | null>): Promise<T> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!this.loggedIn) await this.login();
      const answer = await ask();
      if (answer !== null) return answer;
      this.loggedIn = false;
    }
    throw new ImportFailure('PORTAL_UNAVAILABLE', 'The KBO portal kept ending the session right after logging in; try again later.');
  }

  private async login(): Promise<void> {
    this.cookies.clear();
    const form = await this.request('GET', `${this.base}/login`, PAGE_BYTES);
    if (form.status !== 200) throw this.unexpected('the login page', form.status);
    const body = new URLSearchParams({ j_username: this.user, j_password: this.password }).toString();
    let res = await this.request('POST', `${this.base}/static/j_spring_security_check`, PAGE_BYTES, {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
    }, body);
    // Follow the redirects by hand: each hop may set the new session cookie. Only within the
    // portal: the cookies (the session) go nowhere else.
    for (let hop = 0; res.status >= 300 && res.status < 400 && res.headers.location; hop++) {
      if (hop === 5) throw new ImportFailure('PORTAL_UNAVAILABLE', `The KBO portal (${this.shown}) redirected the login more than 5 times; try again later.`);
      const next = new URL(res.headers.location, `${this.base}/`);
      if (next.origin !== new URL(this.base).origin) throw new ImportFailure('PORTAL_UNAVAILABLE', `The KBO portal (${this.shown}) sent the login to another site (${next.origin}); check KBO_PORTAL_URL.`);
      if (/[?&]error\b/.test(next.search) || /\/login$/.test(next.pathname)) throw new PortalLoginRefused();
      res = await this.request('GET', next.toString(), PAGE_BYTES);
    }
    if (res.status !== 200 || !LOGGED_IN.test(res.body.toString('utf8'))) throw new PortalLoginRefused();
    this.loggedIn = true;
  }

  private async request(method: 'GET' | 'POST', url: string, maxBytes: number, headers: Record<string, string> = {}, body?: string): Promise<RemoteResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let res: RemoteResponse;
    try {
      res = await trustedRequest(url, { method, headers: { ...BROWSER_HEADERS, ...(cookie ? { cookie } : {}), ...headers }, body }, maxBytes);
    } catch {
      throw new ImportFailure('PORTAL_UNAVAILABLE', `The KBO portal (${this.shown}) could not be reached; check KBO_PORTAL_URL and the network, then try again.`);
    }
    for (const line of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }

  private unexpected(what: string, status: number): ImportFailure {
    return new ImportFailure('PORTAL_UNAVAILABLE', `The KBO portal answered ${status} for ${what}; try again later.`, { portalStatus: status });
  }
}

/** A redirect to the login page: the session has ended. */
function isLoginRedirect(res: RemoteResponse, base: string): boolean {
  if (res.status < 300 || res.status >= 400) return false;
  const to = String(res.headers.location ?? '');
  return /\/login\b/.test(new URL(to, `${base}/`).pathname);
}

/** The extracts a listing page links to (`files/KboOpenData_…zip`), each once, in the order given. Pure. */
export function listedFiles(html: string): PortalFile[] {
  const out = new Map<string, PortalFile>();
  for (const m of html.matchAll(/href\s*=\s*["']([^"']+)["']/gi)) {
    const href = (m[1] as string).replace(/&amp;/g, '&');
    const name = decodeURIComponent(href.split(/[?#]/)[0]?.split('/').pop() ?? '');
    const file = portalFile(name);
    if (file && !out.has(name)) out.set(name, file);
  }
  return [...out.values()];
}

/** A URL without the user and password it may carry (`https://u:p@host/…` → `https://host/…`). Pure. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid URL)';
  }
}
