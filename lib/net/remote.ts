import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { env } from '../env';
import { ImportFailure } from '../errors';

/**
 * GET from a URL a user typed, without letting it reach what only this server can reach:
 * loopback, private, link-local (the cloud metadata service at 169.254.169.254 among them),
 * carrier-grade NAT, multicast and reserved addresses are refused, for IPv4, IPv6 and IPv4
 * inside IPv6. The check runs on the addresses DNS gives, in the lookup the connection itself
 * uses (so a name cannot resolve one way for the check and another for the connection), and
 * again on every redirect. Hosts named in IMPORT_FETCH_ALLOW_HOSTS skip it. What answered
 * is never echoed: an error says only whether the file came.
 */

// Two lists: a BlockList also matches IPv4 addresses against its IPv6 ranges (as ::ffff:a.b.c.d).
const REFUSED_V4 = new BlockList();
const REFUSED_V6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  REFUSED_V4.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64, IPv4 inside
  ['100::', 64], // discard
  ['2001::', 32], // Teredo, IPv4 inside
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4, IPv4 inside
  ['fc00::', 7], // unique local (AWS's IPv6 metadata fd00:ec2::254 among them)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  REFUSED_V6.addSubnet(net, bits, 'ipv6');
}

/** Whether an address is one a fetch from a user's URL must not reach. Anything that is not an IP address counts as refused. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return family === 4 ? REFUSED_V4.check(address, 'ipv4') : REFUSED_V6.check(address, 'ipv6');
}

function allowedHosts(): Set<string> {
  return hostList(env().IMPORT_FETCH_ALLOW_HOSTS);
}

function hostList(list = ''): Set<string> {
  return new Set(
    list
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** The URL's host as an address or name: `[::1]` becomes `::1`. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

class RefusedAddressError extends Error {
  constructor() {
    super('refused address');
  }
}

/** dns.lookup, refusing a name when any address it resolves to is refused. */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    if (addresses.length === 0 || addresses.some((a) => isRefusedAddress(a.address))) return callback(new RefusedAddressError(), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

export interface RemoteResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 30_000;

function refused(shown: string, hop: number): ImportFailure {
  const what = hop === 0 ? `${shown} points to` : `${shown} redirects to`;
  return new ImportFailure(
    'VALIDATION',
    `${what} a loopback, private, link-local or reserved address, which this server does not fetch from. Download the file and upload it, or add the host to IMPORT_FETCH_ALLOW_HOSTS.`,
  );
}

/**
 * GETs `url` with `headers`, following up to 5 redirects, each checked. Reads at most
 * `maxBytes` of the body (more is cut off: the caller asks for what it needs). `shown` names
 * the URL in errors as the user gave it.
 */
export async function remoteGet(url: string, headers: Record<string, string>, maxBytes: number): Promise<RemoteResponse> {
  const shown = url;
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new ImportFailure('VALIDATION', `${shown} redirects to a URL that is not http or https; download the file and upload it.`);
    }
    const host = hostOf(target);
    const allowed = allowedHosts().has(host);
    if (!allowed && isIP(host) && isRefusedAddress(host)) throw refused(shown, hop);
    const res = await requestOnce(target, { method: 'GET', headers }, maxBytes, allowed, shown, hop);
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && location) {
      if (hop === MAX_REDIRECTS) throw new ImportFailure('VALIDATION', `${shown} redirects more than ${MAX_REDIRECTS} times; download the file and upload it.`);
      try {
        target = new URL(location, target);
      } catch {
        throw new ImportFailure('VALIDATION', `${shown} redirects to an address that is not a URL; download the file and upload it.`);
      }
      continue;
    }
    return res;
  }
}

/**
 * POSTs to a URL a reader or a program gave (a watchlist's webhook) and answers its status:
 * the address checked as a fetch's is (only hosts in WATCH_WEBHOOK_ALLOW_HOSTS skip it: the
 * import fetch's allowed hosts are the admins' business), no redirect followed, the answer's
 * body never read, and `timeoutMs` in all, however slowly the other side answers.
 */
export function guardedPost(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number }> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new ImportFailure('VALIDATION', `${url} is not an http or https URL.`);
  const host = hostOf(target);
  const allowed = hostList(env().WATCH_WEBHOOK_ALLOW_HOSTS).has(host);
  if (!allowed && isIP(host) && isRefusedAddress(host)) throw refused(url, 0);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, ...(allowed ? {} : { lookup: checkedLookup }) },
      (res) => {
        clearTimeout(timer);
        res.destroy();
        resolve({ status: res.statusCode ?? 0 });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof RefusedAddressError ? refused(url, 0) : unreachable(url, err));
    });
    req.end(body);
  });
}

/**
 * One request to a server the operator configured (the KBO portal): no address check, no
 * redirect followed (the caller reads each hop's cookies), at most `maxBytes` of the body.
 */
export function trustedRequest(url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, maxBytes: number): Promise<RemoteResponse> {
  return requestOnce(new URL(url), init, maxBytes, true, url, 0);
}

function requestOnce(
  target: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  maxBytes: number,
  allowed: boolean,
  shown: string,
  hop: number,
  timeoutMs = TIMEOUT_MS,
): Promise<RemoteResponse> {
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const options = { method: init.method, headers: init.headers, timeout: timeoutMs, ...(allowed ? {} : { lookup: checkedLookup }) };
    const req = client.request(target, options, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.alloc(0) }));
        res.on('error', () => resolve({ status, headers: res.headers, body: Buffer.alloc(0) }));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      const done = () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks).subarray(0, maxBytes) });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= maxBytes) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', (err) => reject(unreachable(shown, err)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => reject(err instanceof RefusedAddressError ? refused(shown, hop) : unreachable(shown, err)));
    req.end(init.body);
  });
}

function unreachable(shown: string, err: Error): ImportFailure {
  const why = err.message === 'timeout' ? `did not answer within ${TIMEOUT_MS / 1000} s` : 'could not be reached';
  return new ImportFailure('VALIDATION', `${shown} ${why}; check the address, or download the file and upload it.`);
}
