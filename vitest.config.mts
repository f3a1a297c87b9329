import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the real-boot test runs alone, for minutes: npm run test:boot (test/boot/vitest.config.mts)
    exclude: [...configDefaults.exclude, 'test/boot/**'],
    setupFiles: ['test/support/cleanup.ts'],
    globalSetup: ['test/support/node18.ts', 'test/support/debian-root.ts'],
    pool: 'forks',
    // Two test files at a time, whatever the core count (vitest's default on 2 cores is one): the
    // labs spend their time waiting on daemons, leases and RA timers, not on a CPU, and one file
    // after the other took 1154 s of CI's 20 minutes. Each lab keeps to namespaces named with its
    // worker's pid (test/support/netns.ts), so two never meet.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
