import { createHash, createHmac } from 'node:crypto';
import { env } from '../../env';
import { ImportFailure } from '../../errors';

/**
 * An S3-compatible object store (AWS S3, Cloudflare R2, MinIO, …) for uploaded zips' parts,
 * when IMPORT_STORE=s3: the database then keeps only which parts exist. Three calls are all it
 * needs (put, get with a range, delete), signed with AWS Signature Version 4 and addressed
 * path-style (`endpoint/bucket/key`), which every compatible store accepts.
 */
export interface ObjectStoreConfig {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  prefix: string;
}

export function objectStoreConfig(): ObjectStoreConfig | null {
  const e = env();
  if (e.IMPORT_STORE !== 's3') return null;
  const missing = (['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter((k) => !e[k]);
  if (missing.length) throw new Error(`IMPORT_STORE=s3 needs ${missing.join(', ')}.`);
  return {
    endpoint: (e.S3_ENDPOINT as string).replace(/\/+$/, ''),
    bucket: e.S3_BUCKET as string,
    region: e.S3_REGION,
    accessKeyId: e.S3_ACCESS_KEY_ID as string,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY as string,
    prefix: e.S3_PREFIX,
  };
}

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding, as SigV4 wants it (every byte but unreserved characters). */
function encode(s: string, keepSlash: boolean): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(keepSlash ? /%2F/g : /$^/, '/');
}

/** The headers that sign one request (AWS Signature Version 4, service `s3`). */
export function signRequest(
  cfg: Pick<ObjectStoreConfig, 'region' | 'accessKeyId' | 'secretAccessKey'>,
  method: string,
  url: URL,
  headers: Record<string, string>,
  payloadHash: string,
  now = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...headers, host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  const names = Object.keys(all)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${encode(k, false)}=${encode(v, false)}`)
    .sort()
    .join('&');
  const canonical = [method, url.pathname, query, names.map((h) => `${h}:${lower[h]}\n`).join(''), names.join(';'), payloadHash].join('\n');
  const scope = `${day}/${cfg.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${cfg.secretAccessKey}`, day), cfg.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...all,
    authorization: `AWS4-HMAC-SHA256 Credential=${cfg.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

export class ObjectStore {
  constructor(readonly cfg: ObjectStoreConfig) {}

  /** Where a stored upload's part at `offset` lives. */
  keyOf(uploadId: number, offset: number): string {
    return `${this.cfg.prefix}${uploadId}/${offset}`;
  }

  private url(key: string): URL {
    return new URL(`${this.cfg.endpoint}/${encode(this.cfg.bucket, false)}/${encode(key, true)}`);
  }

  private async send(method: string, key: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
    const url = this.url(key);
    const signed = signRequest(this.cfg, method, url, headers, sha256Hex(body ?? ''));
    let res: Response;
    try {
      res = await fetch(url, { method, headers: signed, body: body as BodyInit | undefined, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      throw new ImportFailure('INTERNAL', `The object store at ${this.cfg.endpoint} cannot be reached (${(err as Error).message}); check S3_ENDPOINT.`);
    }
    if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
      const text = await res.text().catch(() => '');
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? res.statusText;
      throw new ImportFailure('INTERNAL', `The object store refused ${method} ${key}: ${res.status} ${code}. Check the S3_* settings and the bucket's permissions.`);
    }
    return res;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await (await this.send('PUT', key, data, { 'content-type': 'application/octet-stream' })).arrayBuffer();
  }

  async get(key: string): Promise<Buffer> {
    return Buffer.from(await (await this.send('GET', key)).arrayBuffer());
  }

  async delete(key: string): Promise<void> {
    await (await this.send('DELETE', key)).arrayBuffer();
  }
}

let cached: { store: ObjectStore | null } | undefined;

/** The configured object store, or null when parts are kept in the database (the default). */
export function objectStore(): ObjectStore | null {
  if (!cached) {
    const cfg = objectStoreConfig();
    cached = { store: cfg ? new ObjectStore(cfg) : null };
  }
  return cached.store;
}
