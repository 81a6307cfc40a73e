import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createThrowawayPostgres, postgresAvailable, testDatabases } from '../test/support/databases.js';
import { openDatabase } from './client.js';
import { getTableName, isTable } from 'drizzle-orm';
import * as schema from './schema/index.js';

const { tenants } = schema;
// Every table the schema declares must exist after the migrations: a table added without a migration fails here.
const declaredTables = Object.values(schema)
  .filter((t) => isTable(t))
  .map((t) => getTableName(t))
  .sort();

const dbs = await testDatabases();
const journal = JSON.parse(readFileSync(new URL('./migrations/meta/_journal.json', import.meta.url), 'utf8')) as {
  entries: unknown[];
};

describe.each(dbs)('database ($name)', ({ open }) => {
  const handles: Awaited<ReturnType<typeof open>>[] = [];
  afterAll(async () => {
    for (const h of handles) await h.close();
  });

  it('applies the committed migrations and round-trips a row', async () => {
    const h = await open();
    handles.push(h);
    await h.db.insert(tenants).values({ id: 'acme', name: 'Acme' });
    const rows = await h.db.select().from(tenants);
    expect(rows).toMatchObject([{ id: 'acme', name: 'Acme', contentLogging: false }]);
    const result = await h.db.execute(
      sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const rowsOf = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as { name: string }[];
    const present = rowsOf(result).map((r) => r.name);
    expect(declaredTables.length).toBeGreaterThan(20);
    expect(present).toEqual(expect.arrayContaining(declaredTables));
  });
});

describe.runIf(await postgresAvailable())('several instances starting at once on an empty Postgres', () => {
  it('migrates once under a lock: every instance opens, none crashes on a half-made schema', async () => {
    const throwaway = await createThrowawayPostgres();
    try {
      const handles = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url: throwaway.url, poolSize: 2 })));
      const [applied] = (await handles[0]!.execute(
        'select count(*)::int as n from drizzle.__drizzle_migrations',
      )) as unknown as { n: number }[];
      // Each committed migration exactly once.
      expect(applied!.n).toBe(journal.entries.length);
      for (const h of handles) await h.close();
    } finally {
      await throwaway.drop();
    }
  });
});
