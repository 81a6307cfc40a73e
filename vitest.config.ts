import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { isPostgresWriteRace } from './server/postgres-write-race.js';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql ships CJS and ESM builds; Node (and yoga, Pothos) load the CJS one. Vite would pick the ESM one for our
    // files, giving two GraphQLError classes and breaking instanceof checks (error masking), so pin the same file.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // The gateway survives this postgres.js race on a cut network (server/main.ts); so do the outage tests.
    onUnhandledError: (error) => !isPostgresWriteRace(error),
    include: [
      'shared/**/*.test.ts',
      'server/**/*.test.ts',
      'web/**/*.test.{ts,tsx}',
      'drizzle/**/*.test.ts',
      'test/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 30_000,
    // Opening PGlite (WASM) and applying migrations takes seconds on a 2-core machine.
    hookTimeout: 60_000,
  },
});
