/** API keys of programs: stored hashed, shown once, their last use recorded, refused once revoked; readers from READER_USERS. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authConfig } from '../../lib/auth/config';
import { createKey, keyOf, listKeys, revokeKey } from '../../lib/auth/keys';
import { checkRole, type Principal } from '../../lib/http/guard';
import { ImportFailure } from '../../lib/errors';
import { freshDb, type TestDb } from '../helpers/db';

process.env.ADMIN_PASSWORD = 'the-admin-password';
process.env.READER_USERS = 'desk:desk-password-1,auditor:auditor-password-2';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

describe('API keys', () => {
  it('are stored as a hash only, name a reader, record their last use, and are refused from the request after their revocation', async () => {
    const made = await createKey(t.db, { name: 'supplier desk' }, 'admin');
    expect(made.key).toMatch(/^kbo_[A-Za-z0-9_-]{43}$/);
    // Nothing the database holds is the key.
    const stored = JSON.stringify(await t.db`select * from api_keys`);
    expect(stored).not.toContain(made.key.slice(4));
    const [view] = await listKeys(t.db);
    expect(view).toMatchObject({ id: made.id, name: 'supplier desk', prefix: made.key.slice(0, 10), scope: 'read', createdBy: 'admin', lastUsedAt: null, revokedAt: null });

    expect(await keyOf(t.db, made.key)).toMatchObject({ id: made.id, name: 'supplier desk', scope: 'read' });
    expect((await listKeys(t.db))[0]?.lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await keyOf(t.db, `${made.key}x`)).toBeNull();
    expect(await keyOf(t.db, 'not-a-key')).toBeNull();

    const other = await createKey(t.db, { name: 'watch feed' }, 'admin');
    expect((await revokeKey(t.db, made.id)).revokedAt).not.toBeNull();
    expect(await keyOf(t.db, made.key)).toBeNull();
    expect(await keyOf(t.db, other.key)).not.toBeNull();
    // Revoking again changes nothing; an unknown key is named.
    expect((await revokeKey(t.db, made.id)).revokedAt).toBe((await listKeys(t.db)).find((k) => k.id === made.id)?.revokedAt);
    await expect(revokeKey(t.db, 999)).rejects.toThrow('API key #999 does not exist.');
    await expect(createKey(t.db, { name: '  ' }, 'admin')).rejects.toThrow();
  });
});

describe('roles', () => {
  it('READER_USERS are readers, ADMIN_PASSWORD the admin; a reader or a key is refused where only admins may go', () => {
    const { roles, users } = authConfig();
    expect([...roles]).toEqual([
      ['admin', 'admin'],
      ['desk', 'reader'],
      ['auditor', 'reader'],
    ]);
    expect(users.get('desk')).toBe('desk-password-1');
    const reader: Principal = { user: 'desk', via: 'session', sid: 's', role: 'reader' };
    const key: Principal = { user: 'key:watch feed', via: 'key', keyId: 2, role: 'reader' };
    const admin: Principal = { user: 'admin', via: 'session', sid: 's', role: 'admin' };
    const refused = (p: Principal) => {
      try {
        checkRole(p, 'admin');
        return null;
      } catch (err) {
        return err instanceof ImportFailure ? `${err.code}: ${err.message}` : String(err);
      }
    };
    expect(refused(admin)).toBeNull();
    expect(refused(reader)).toBe('FORBIDDEN: Only an admin may do this: desk is a reader (search the register, read entities and change lists, keep watchlists).');
    expect(refused(key)).toMatch(/^FORBIDDEN: Only an admin may do this: the API key "watch feed" may only read and watch/);
    expect(() => checkRole(reader, 'reader')).not.toThrow();
  });
});
