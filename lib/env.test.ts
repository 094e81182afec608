import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, env } from './env';

describe('env', () => {
  afterEach(() => {
    delete process.env.IMPORT_BATCH_SIZE;
  });

  it('refuses a bad setting in one line that names it, its value and the rule', () => {
    process.env.IMPORT_BATCH_SIZE = '50';
    let caught: unknown;
    try {
      env();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const e = caught as ConfigError;
    expect(e.message).toMatch(/^Invalid configuration: IMPORT_BATCH_SIZE="50": Too small: expected number to be >=100\./);
    // Printed as it is (console.error prints the stack): one line, no trace.
    expect(e.stack).toBe(e.message);
    expect(e.message).not.toContain('\n');
  });
});
