import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { printedSchema } from './schema.js';

/** Where the committed SDL lives. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.graphql', import.meta.url));

/** The SDL as committed: printed, then formatted like every other file, so `prettier --check .` agrees with it. */
export async function formattedSchema(): Promise<string> {
  return format(printedSchema(), { ...(await resolveConfig(SCHEMA_FILE)), parser: 'graphql' });
}

// `npm run schema:print` rewrites the file that server/graphql/schema.test.ts compares against.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(SCHEMA_FILE, await formattedSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
