import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes SQL migrations to drizzle/migrations (committed); they are applied on start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle/schema/*.ts',
  out: './drizzle/migrations',
});
