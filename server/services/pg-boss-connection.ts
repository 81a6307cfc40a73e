import type { PGlite } from '@electric-sql/pglite';
import PgBoss from 'pg-boss';
import type { DatabaseHandle } from '../../drizzle/client.js';

/** The schema pg-boss keeps its tables in, next to (never inside) Backstop's own. */
export const PG_BOSS_SCHEMA = 'pgboss';

/**
 * pg-boss's `db` option over embedded PGlite. PGlite is one connection that runs one statement (or one `exec` of
 * several) at a time and holds it for the whole of a transaction, so calls are already serialized; pg-boss sends each
 * of its transactions as one multi-statement string, which goes through `exec` (no parameters allowed there).
 */
export function pgliteBossDb(client: PGlite): PgBoss.Db {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) {
        const result = await client.query(text, values);
        return { rows: result.rows };
      }
      const results = await client.exec(text);
      return { rows: results.at(-1)?.rows ?? [] };
    },
  };
}

export interface PgBossOptions {
  /** pg-boss's background errors (a pool that lost its server, a failed fetch). Must not throw. */
  onError: (error: unknown) => void;
  /** Connections in pg-boss's own pool (Postgres only). Defaults to 4. */
  poolSize?: number;
}

/**
 * A started pg-boss on the same database as Backstop: its own pool on Postgres, the shared PGlite connection when
 * embedded. Nothing runs on a timer yet: no supervision, no cron; the job worker drives fetching and maintenance.
 */
export async function startPgBoss(database: DatabaseHandle, options: PgBossOptions): Promise<PgBoss> {
  const common = { schema: PG_BOSS_SCHEMA, supervise: false, schedule: false, migrate: true } as const;
  let boss: PgBoss;
  if (database.url) {
    boss = new PgBoss({
      ...common,
      connectionString: database.url,
      max: options.poolSize ?? 4,
      application_name: 'backstop-jobs',
    });
  } else if (database.pglite) {
    boss = new PgBoss({ ...common, db: pgliteBossDb(database.pglite) });
  } else {
    throw new Error(`the job queue needs a Postgres URL or a PGlite handle (database kind=${database.kind})`);
  }
  // An EventEmitter with no 'error' listener throws: one lost connection would end the process.
  boss.on('error', options.onError);
  await boss.start();
  return boss;
}
