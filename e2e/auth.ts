/** Where the e2e server listens (playwright.config.ts starts it there). */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
/** The e2e server reaches its database through a proxy the tests can cut here: POST /down, POST /up. */
/** The e2e server's own database, dropped and made again each run. */
export const E2E_DATABASE = 'kbo_e2e';
export const E2E_DB_SWITCH = `http://127.0.0.1:${E2E_PORT + 1}`;

/** The e2e server's credentials (scripts/e2e-server.ts starts it with these). */
export const E2E_AUTH = {
  ADMIN_PASSWORD: 'e2e-admin-password',
  ADMIN_USERS: 'second:second-admin-password',
  READER_USERS: 'reader:reader-password-0123',
  API_TOKEN: 'e2e-api-token-0123456789abcdef',
  SESSION_SECRET: 'e2e-session-secret-0123456789abcdef-0123456789',
  TRUST_PROXY: '1',
};
