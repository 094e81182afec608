import { createHash } from 'node:crypto';
import { env } from '../env';

/** `admin`: imports, controls, the sync, API keys. `reader`: searches, reads and watches, never imports. */
export type Role = 'admin' | 'reader';

/** Who may sign in, and the secrets behind sessions and the API token, from the environment. */
export interface AuthConfig {
  /** user -> password. `ADMIN_PASSWORD` is the user `admin`; `ADMIN_USERS` adds `name:password,…`; `READER_USERS` readers. */
  users: Map<string, string>;
  /** user -> role (every user of `users` has one). */
  roles: Map<string, Role>;
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
  const key = JSON.stringify([e.ADMIN_PASSWORD, e.ADMIN_USERS, e.READER_USERS, e.SESSION_SECRET, e.API_TOKEN, e.TRUST_PROXY]);
  if (cached?.key === key) return cached.config;
  const users = new Map<string, string>();
  const roles = new Map<string, Role>();
  if (e.ADMIN_PASSWORD) {
    users.set('admin', e.ADMIN_PASSWORD);
    roles.set('admin', 'admin');
  }
  for (const [variable, role] of [['ADMIN_USERS', 'admin'], ['READER_USERS', 'reader']] as const) {
    for (const entry of (e[variable] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = entry.indexOf(':');
      if (i <= 0 || i === entry.length - 1) throw new Error(`${variable} must look like "alice:password1,bob:password2".`);
      const name = entry.slice(0, i);
      if (roles.has(name)) throw new Error(`${variable}: the user ${name} is named twice (ADMIN_PASSWORD is the user admin).`);
      users.set(name, entry.slice(i + 1));
      roles.set(name, role);
    }
  }
  // Without SESSION_SECRET, sessions are signed with a key derived from the credentials, so
  // changing a password signs everyone out.
  const sessionSecret =
    e.SESSION_SECRET ?? createHash('sha256').update(`kbo-session\0${JSON.stringify([...users])}\0${e.API_TOKEN ?? ''}`).digest('hex');
  const config = { users, roles, sessionSecret, apiToken: e.API_TOKEN ?? null, trustProxy: e.TRUST_PROXY > 0, proxyHops: e.TRUST_PROXY };
  cached = { key, config };
  return config;
}
