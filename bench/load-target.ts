import { createPgliteDatabase, findPostgres, type BenchDatabase } from './databases.js';
import { chatRequest, graphqlCompleteRequest, type RequestSpec } from './load.js';

/** The command-line options `bench:profile` and `bench:ab` share (for `node:util`'s parseArgs). */
export const LOAD_TARGET_OPTIONS = {
  db: { type: 'string', default: 'postgres' },
  endpoint: { type: 'string', default: 'openai' },
  concurrency: { type: 'string', default: '32' },
} as const;

/** What the load goes to: the gateway on which database, through which endpoint, at what concurrency. */
export interface LoadTarget {
  db: 'postgres' | 'pglite';
  endpoint: 'openai' | 'graphql';
  concurrency: number;
}

/** Reads the shared options; throws `usage` when one is out of range. */
export function loadTarget(
  values: { db?: string; endpoint?: string; concurrency?: string },
  usage: string,
): LoadTarget {
  const { db, endpoint } = values;
  const concurrency = Number(values.concurrency);
  if (
    (db !== 'postgres' && db !== 'pglite') ||
    (endpoint !== 'openai' && endpoint !== 'graphql') ||
    !Number.isInteger(concurrency) ||
    concurrency < 1
  ) {
    throw new Error(`usage: ${usage} [--db postgres|pglite] [--endpoint openai|graphql] [--concurrency N]`);
  }
  return { db, endpoint, concurrency };
}

/** A new bench database of the target's kind (Postgres must answer; the error says how to use PGlite instead). */
export async function openTargetDatabase(target: LoadTarget): Promise<BenchDatabase> {
  if (target.db === 'pglite') return createPgliteDatabase();
  const postgres = await findPostgres();
  if (!postgres.ok) throw new Error(`${postgres.reason} (use --db pglite)`);
  return postgres.create();
}

/** The critical-class request of the target's endpoint, sent with `key`. */
export function targetRequest(target: LoadTarget, key: string): RequestSpec {
  return target.endpoint === 'graphql' ? graphqlCompleteRequest(key) : chatRequest('critical', { key });
}
