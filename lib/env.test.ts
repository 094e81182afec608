import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from './env';

/** The message parseEnv refuses `settings` with. */
function refusal(settings: Record<string, string>): ConfigError {
  try {
    parseEnv(settings);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('env', () => {
  it('refuses a bad setting in one line that names it, its value and the rule', () => {
    const e = refusal({ IMPORT_BATCH_SIZE: '50' });
    expect(e.message).toMatch(/^Invalid configuration: IMPORT_BATCH_SIZE="50": Too small: expected number to be >=100\./);
    // Printed as it is (console.error prints the stack): one line, no trace.
    expect(e.stack).toBe(e.message);
    expect(e.message).not.toContain('\n');
  });

  it('never prints the value of a secret or a URL, only its name and the rule', () => {
    const secrets: Record<string, string> = {
      ADMIN_PASSWORD: 'hunter2',
      API_TOKEN: 'short-token-7f3a',
      SESSION_SECRET: 'too-short-secret-91c2',
      DATABASE_URL: 'postgres://kbo:pa#ss-53e1@db.internal/kbo',
      SYNC_WEBHOOK_URL: 'hooks.example/T000/B000/tok-4d9e',
      KBO_PORTAL_URL: 'kbo portal user pw-8a1b',
      S3_ENDPOINT: 'not a url secret-6c0d',
    };
    for (const [name, value] of Object.entries(secrets)) {
      const e = refusal({ [name]: value });
      expect(e.message).toContain(`${name} (value not shown):`);
      expect(e.message).not.toContain(value);
      // Not even a recognisable piece of it.
      expect(e.message).not.toMatch(/hunter2|7f3a|91c2|53e1|4d9e|8a1b|6c0d/);
    }
  });

  it('names every bad setting at once, showing the values of numbers and choices only', () => {
    const e = refusal({ ADMIN_PASSWORD: 'abc', TRUST_PROXY: 'yes', IMPORT_MAX_REJECTED_PERCENT: '140' });
    expect(e.message).toContain('ADMIN_PASSWORD (value not shown): use at least 8 characters');
    expect(e.message).toContain('TRUST_PROXY="yes"');
    expect(e.message).toContain('IMPORT_MAX_REJECTED_PERCENT="140"');
    expect(e.message).not.toContain('abc');
  });
});
