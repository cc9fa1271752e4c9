import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // kafkajs 2.2.4 can spin forever in a consumer stopped mid fetcher-rebuild; see the file.
    setupFiles: ['test/helpers/kafkajs-stop-fix.ts'],
    // Integration tests start brokers and real clients; two cores run two files at a time well.
    maxWorkers: 2,
  },
});
