import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../drizzle/client.js';

/** Where the real-Postgres variant of storage suites connects; a throwaway database is made per suite. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether a Postgres server answers. CI sets BACKSTOP_REQUIRE_POSTGRES=1 so that a missing server fails instead. */
export function postgresAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, connect_timeout: 2, onnotice: () => undefined });
    try {
      await sql`select 1`;
      return true;
    } catch (e) {
      if (process.env.BACKSTOP_REQUIRE_POSTGRES === '1')
        throw new Error(`Postgres required but unreachable: ${String(e)}`, { cause: e });
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  })();
  return reachable;
}

export interface TestDatabase {
  name: 'pglite' | 'postgres';
  open(): Promise<DatabaseHandle>;
}

/**
 * The databases every storage suite runs against: in-memory PGlite always, and a fresh database on the local
 * Postgres server when one answers (always on CI). Each `open()` gives an empty, migrated database.
 */
export async function testDatabases(): Promise<TestDatabase[]> {
  const list: TestDatabase[] = [{ name: 'pglite', open: () => openDatabase({ dataDir: 'memory://' }) }];
  if (await postgresAvailable()) list.push({ name: 'postgres', open: openThrowawayPostgres });
  return list;
}

/** A fresh, empty database on the local Postgres server; `drop()` removes it (closing what is still connected). */
export async function createThrowawayPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `backstop_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => undefined });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

async function openThrowawayPostgres(): Promise<DatabaseHandle> {
  const throwaway = await createThrowawayPostgres();
  const handle = await openDatabase({ url: throwaway.url, poolSize: 20 });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await throwaway.drop();
    },
  };
}
