import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { initPgliteDataDir, PGLITE_EXTRA_START_PARAMS } from './pglite-data-dir.js';
import * as schema from './schema/index.js';

export { schema };
/** The Drizzle database, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Runs one raw SQL statement (tests, health checks). */
  execute(sql: string): Promise<unknown>;
  /** The Postgres URL (kind `postgres`), for a client that opens its own pool, such as the job queue. */
  url?: string;
  /** The embedded database (kind `pglite`): one connection, which another client must share. */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A Postgres URL; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite's data folder; `memory://` keeps it in memory. Defaults to `./.backstop/pglite`. */
  dataDir?: string | undefined;
  /** Connections in the postgres.js pool. Defaults to 10. */
  poolSize?: number;
}

/** Session advisory lock key held while migrating ("backstop" in ASCII, as a bigint). */
const MIGRATION_LOCK = '108170687950703';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Opens the database and applies the committed migrations. PGlite unless a URL is given.
 * @example const { db, close } = await openDatabase({ url: process.env.DATABASE_URL });
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.url) {
    const client = postgres(options.url, { max: options.poolSize ?? 10, onnotice: () => undefined });
    const db = drizzlePostgres(client, { schema });
    // Several instances may start at once on an empty database: one migrates, the others wait for its lock.
    const lock = await client.reserve();
    try {
      await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migratePostgres(db, { migrationsFolder: MIGRATIONS });
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
      lock.release();
    }
    return {
      db: db as unknown as Database,
      kind: 'postgres',
      url: options.url,
      execute: (sql) => client.unsafe(sql),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = options.dataDir ?? './.backstop/pglite';
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    await initPgliteDataDir(dataDir);
  }
  // Loaded only here: a gateway on a Postgres server never needs the embedded database's modules.
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
  const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
  const startParams = [...PGlite.defaultStartParams, ...PGLITE_EXTRA_START_PARAMS];
  const client = await PGlite.create(dataDir, { startParams });
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS });
  return {
    db: db as unknown as Database,
    kind: 'pglite',
    pglite: client,
    execute: (sql) => client.exec(sql),
    close: () => client.close(),
  };
}
