import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the real-boot test runs alone, for minutes: npm run test:boot (test/boot/vitest.config.mts)
    exclude: [...configDefaults.exclude, 'test/boot/**'],
    setupFiles: ['test/support/cleanup.ts'],
    globalSetup: ['test/support/node18.ts', 'test/support/debian-root.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
