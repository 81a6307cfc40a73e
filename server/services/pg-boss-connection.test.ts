import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../drizzle/client.js';
import { PG_BOSS_SCHEMA, startPgBoss } from './pg-boss-connection.js';

describe('pg-boss on embedded PGlite', () => {
  const opened: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of opened.reverse()) await close();
  });

  it('starts on the shared PGlite connection, creates its schema and delivers a job exactly once', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    opened.push(() => database.close());
    const errors: unknown[] = [];
    const boss = await startPgBoss(database, { onError: (e) => errors.push(e) });
    opened.push(() => boss.stop({ graceful: false }));

    await boss.createQueue('probe', { name: 'probe', retryLimit: 1, retryDelay: 1, retryBackoff: true });
    const id = '7b0a3c5e-0f1d-4c1e-9d7a-2f4b6a8c0e12';
    expect(await boss.send('probe', { n: 1 }, { id })).toBe(id);
    // The same id again is refused while pg-boss holds the job.
    expect(await boss.send('probe', { n: 2 }, { id })).toBeNull();

    const [first, ...rest] = await boss.fetch<{ n: number }>('probe', { batchSize: 5, includeMetadata: true });
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ id, data: { n: 1 }, retryCount: 0, retryLimit: 1, state: 'active' });
    expect(await boss.fetch('probe', { batchSize: 5 })).toEqual([]);
    await boss.complete('probe', id);
    expect(await boss.getJobById('probe', id)).toMatchObject({ state: 'completed' });

    const tables = (await database.execute(
      `select count(*)::int as n from information_schema.tables where table_schema = '${PG_BOSS_SCHEMA}'`,
    )) as { rows: { n: number }[] }[];
    expect(tables[0]!.rows[0]!.n).toBeGreaterThan(0);
    await boss.maintain(); // its multi-statement, advisory-locked transactions run through `exec`
    expect(errors).toEqual([]);
  });
});
