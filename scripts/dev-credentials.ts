import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `npm run dev` / `npm start` without ADMIN_PASSWORD: create one (and an API token) in
 * .env.local, which Next loads, and say where it is. An existing password is left alone.
 */
async function main() {
  const file = path.join(process.cwd(), '.env.local');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const has = (name: string) => process.env[name] !== undefined || new RegExp(`^${name}=`, 'm').test(text);
  if (!has('ADMIN_PASSWORD') && !has('ADMIN_USERS')) {
    const password = randomBytes(9).toString('base64url');
    const token = randomBytes(24).toString('base64url');
    const lines = [
      '# Written by scripts/dev-credentials.ts for local use; set your own in production.',
      `ADMIN_PASSWORD=${password}`,
      ...(has('API_TOKEN') ? [] : [`API_TOKEN=${token}`]),
      '',
    ];
    await appendFile(file, (text && !text.endsWith('\n') ? '\n' : '') + lines.join('\n'));
    console.log(`Sign in as "admin" with the password ${password} (kept in .env.local).`);
  } else if (!process.env.ADMIN_PASSWORD && !process.env.ADMIN_USERS) {
    console.log('Sign in with the admin password in .env.local.');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
