import { createHash } from 'node:crypto';
import { env } from '../env';

/** Who may sign in, and the secrets behind sessions and the API token, from the environment. */
export interface AuthConfig {
  /** user -> password. `ADMIN_PASSWORD` is the user `admin`; `ADMIN_USERS` adds `name:password,…`. */
  users: Map<string, string>;
  sessionSecret: string;
  /** Bearer token for the CLI over HTTP and the cron route; null: bearer access is off. */
  apiToken: string | null;
  trustProxy: boolean;
  /** Proxies in front that add to X-Forwarded-For (TRUST_PROXY); 0: none is trusted. */
  proxyHops: number;
}

let cached: { key: string; config: AuthConfig } | undefined;

export function authConfig(): AuthConfig {
  const e = env();
  const key = JSON.stringify([e.ADMIN_PASSWORD, e.ADMIN_USERS, e.SESSION_SECRET, e.API_TOKEN, e.TRUST_PROXY]);
  if (cached?.key === key) return cached.config;
  const users = new Map<string, string>();
  if (e.ADMIN_PASSWORD) users.set('admin', e.ADMIN_PASSWORD);
  for (const entry of (e.ADMIN_USERS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = entry.indexOf(':');
    if (i <= 0 || i === entry.length - 1) throw new Error('ADMIN_USERS must look like "alice:password1,bob:password2".');
    users.set(entry.slice(0, i), entry.slice(i + 1));
  }
  // Without SESSION_SECRET, sessions are signed with a key derived from the credentials, so
  // changing a password signs everyone out.
  const sessionSecret =
    e.SESSION_SECRET ?? createHash('sha256').update(`kbo-session\0${JSON.stringify([...users])}\0${e.API_TOKEN ?? ''}`).digest('hex');
  const config = { users, sessionSecret, apiToken: e.API_TOKEN ?? null, trustProxy: e.TRUST_PROXY > 0, proxyHops: e.TRUST_PROXY };
  cached = { key, config };
  return config;
}
