import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { BackstopStorage } from './processes.js';

/** The local server tried when BENCH_DATABASE_URL is unset; a throwaway database is created on it. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A database for one Backstop process or one in-process bench; `drop()` removes it. */
export interface BenchDatabase extends BackstopStorage {
  /** For an in-process client: the PGlite folder or the Postgres URL (openDatabase options). */
  open: { dataDir: string } | { url: string; poolSize: number };
  drop(): Promise<void>;
}

/** A fresh PGlite folder in a temporary directory (file-backed, as in production). */
export async function createPgliteDatabase(): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-bench-'));
  return {
    kind: 'pglite',
    dataDir,
    open: { dataDir: join(dataDir, 'pglite') },
    drop: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** Postgres for the bench: a server that answers, or why the Postgres rows are skipped. */
export type PostgresServer = { ok: true; create(): Promise<BenchDatabase> } | { ok: false; reason: string };

/**
 * BENCH_DATABASE_URL when set (used as is: rows are written into it), else a throwaway database per use on the local
 * server at DEFAULT_POSTGRES_URL, dropped afterwards. Not ok, with the reason, when the server does not answer.
 */
export async function findPostgres(env: Record<string, string | undefined> = process.env): Promise<PostgresServer> {
  const given = env.BENCH_DATABASE_URL || undefined;
  const probeUrl = given ?? DEFAULT_POSTGRES_URL;
  const sql = postgres(probeUrl, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  try {
    await sql`select 1`;
  } catch (e) {
    return { ok: false, reason: `Postgres unreachable at ${redact(probeUrl)} (${(e as Error).message})` };
  } finally {
    await sql.end({ timeout: 1 });
  }
  if (given) return { ok: true, create: async () => postgresStorage(given, async () => undefined) };
  return {
    ok: true,
    async create() {
      const name = `backstop_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const admin = postgres(DEFAULT_POSTGRES_URL, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`create database ${name}`);
      await admin.end();
      const url = new URL(DEFAULT_POSTGRES_URL);
      url.pathname = `/${name}`;
      return postgresStorage(url.toString(), async () => {
        const cleanup = postgres(DEFAULT_POSTGRES_URL, { max: 1, onnotice: () => undefined });
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
        await cleanup.end();
      });
    },
  };
}

async function postgresStorage(url: string, dropDatabase: () => Promise<void>): Promise<BenchDatabase> {
  // Backstop still wants a data folder (it is unused with DATABASE_URL set).
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-bench-'));
  return {
    kind: 'postgres',
    dataDir,
    url,
    open: { url, poolSize: 10 },
    async drop() {
      await dropDatabase();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Postgres URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
