import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'server/**/*.test.ts',
      'web/**/*.test.{ts,tsx}',
      'drizzle/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 20_000,
  },
});
