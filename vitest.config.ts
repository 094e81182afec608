import path from 'node:path';
import { defineConfig } from 'vitest/config';

const alias = { '@': path.resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['lib/**/*.test.ts'], environment: 'node' } },
      {
        resolve: { alias },
        // A deliberately failing test, run only by scripts/check-exit-code.ts.
        test: { name: 'canary', include: ['test/canary/**/*.canary.ts'], environment: 'node', globalSetup: ['test/helpers/global-setup.ts'], hookTimeout: 120_000 },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          // The test-only fault switch (lib/imports/faults.ts); the test zip servers listen on 127.0.0.1.
          env: { IMPORT_TEST_FAULTS: '1', IMPORT_FETCH_ALLOW_HOSTS: '127.0.0.1', WATCH_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: two files at a time, each on its own databases.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
