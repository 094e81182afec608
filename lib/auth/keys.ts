import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../db/client';
import { isoTime } from '../db/sql';
import { ImportFailure } from '../errors';

/**
 * API keys of programs: `kbo_` and 32 random bytes (base64url), shown once when made and stored
 * as their SHA-256 only. Scope `read`: search the register, read entities and change lists, keep
 * watchlists; never import, control or sync. Each records its last use (at most once a minute);
 * a revoked key is refused by the next request.
 */

export const KEY_PREFIX = 'kbo_';
export const KEY_SCOPES = ['read'] as const;

export const newKeyInput = z.object({
  name: z.string().trim().min(1).max(100).refine((n) => !/[\u0000-\u001f\u007f]/.test(n), 'the name must not contain control characters'),
  scope: z.enum(KEY_SCOPES).default('read'),
});

export interface KeyView {
  id: number;
  name: string;
  prefix: string;
  scope: (typeof KEY_SCOPES)[number];
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

/** A new key: its row, and the key itself, which is never shown again. */
export async function createKey(sql: Queryable, raw: z.input<typeof newKeyInput>, createdBy: string): Promise<{ id: number; key: string }> {
  const input = newKeyInput.parse(raw);
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const [row] = await sql<{ id: number }[]>`
    insert into api_keys (name, key_hash, prefix, scope, created_by)
    values (${input.name}, ${hashOf(key)}, ${key.slice(0, KEY_PREFIX.length + 6)}, ${input.scope}, ${createdBy})
    returning id`;
  return { id: (row as { id: number }).id, key };
}

/** Every key, newest first, revoked ones included (never the key itself). */
export async function listKeys(sql: Queryable): Promise<KeyView[]> {
  return sql<KeyView[]>`
    select id, name, prefix, scope, created_by as "createdBy", ${isoTime(sql, 'created_at')} as "createdAt",
           ${isoTime(sql, 'last_used_at')} as "lastUsedAt", ${isoTime(sql, 'revoked_at')} as "revokedAt"
    from api_keys order by id desc`;
}

/** Revokes a key: refused from the next request on. Revoking it again changes nothing. */
export async function revokeKey(sql: Queryable, id: number): Promise<KeyView> {
  await sql`update api_keys set revoked_at = now() where id = ${id} and revoked_at is null`;
  const key = (await listKeys(sql)).find((k) => k.id === id);
  if (!key) throw new ImportFailure('NOT_FOUND', `API key #${id} does not exist.`);
  return key;
}

/** The live key a bearer token is, with its last use recorded (once a minute at most), or null. */
export async function keyOf(sql: Queryable, token: string): Promise<{ id: number; name: string; scope: string } | null> {
  if (!token.startsWith(KEY_PREFIX)) return null;
  const [key] = await sql<{ id: number; name: string; scope: string }[]>`
    select id, name, scope from api_keys where key_hash = ${hashOf(token)} and revoked_at is null`;
  if (!key) return null;
  await sql`update api_keys set last_used_at = now() where id = ${key.id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  return key;
}
