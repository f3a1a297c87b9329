// `npm run test:boot` (docs/development.md, "The boot test"): the real-boot test alone, one release after
// the other, with the minutes TCG takes. The main config (vitest.config.mts) leaves test/boot out.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/boot/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
