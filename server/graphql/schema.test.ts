import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formattedSchema, SCHEMA_FILE } from './print-schema.js';

describe('the committed schema', () => {
  it('matches server/graphql/schema.graphql', async () => {
    expect(
      await readFile(SCHEMA_FILE, 'utf8'),
      'server/graphql/schema.graphql is out of date: run `npm run schema:print` and commit the result',
    ).toBe(await formattedSchema());
  });
});
