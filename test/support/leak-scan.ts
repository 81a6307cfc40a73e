// Helpers for proving that data does not leak: every row of every table, whole-type GraphQL selections, and a
// search of texts for strings that must not be there.
import { sql } from 'drizzle-orm';
import { getNamedType, isNonNullType, isObjectType, type GraphQLOutputType } from 'graphql';
import type { DatabaseHandle } from '../../drizzle/client.js';

/** One row as JSON (column name -> value), by `schema.table`. */
export type DatabaseDump = Map<string, Record<string, unknown>[]>;

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows);

/**
 * Every row of every table in every schema but Postgres' own (public, pg-boss's, drizzle's migrations), so a table
 * added later is read without a change here.
 */
export async function dumpDatabase(database: DatabaseHandle): Promise<DatabaseDump> {
  const { db } = database;
  const tables = rowsOf<{ schema: string; name: string }>(
    await db.execute(sql`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by 1, 2`),
  );
  const dump: DatabaseDump = new Map();
  for (const { schema, name } of tables) {
    const rows = rowsOf<{ row: string }>(
      await db.execute(sql.raw(`select row_to_json(t)::text as row from "${schema}"."${name}" t`)),
    );
    dump.set(
      `${schema}.${name}`,
      rows.map((r) => JSON.parse(r.row) as Record<string, unknown>),
    );
  }
  return dump;
}

/** The dump as one text per `schema.table.column`, leaving out the columns named in `except`. */
export function columnTexts(dump: DatabaseDump, except: readonly string[] = []): Map<string, string> {
  const texts = new Map<string, string>();
  for (const [table, rows] of dump) {
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        const where = `${table}.${column}`;
        if (!except.includes(where)) texts.set(where, `${texts.get(where) ?? ''}\n${JSON.stringify(value)}`);
      }
    }
  }
  return texts;
}

/** Which of `needles` each text holds, as `where: needle` lines (needles shortened, as they may be secrets). */
export function findIn(texts: ReadonlyMap<string, string> | Record<string, string>, needles: readonly string[]) {
  const entries = texts instanceof Map ? [...texts] : Object.entries(texts);
  return entries.flatMap(([where, text]) =>
    needles.filter((n) => text.includes(n)).map((n) => `${where}: ${n.slice(0, 14)}…`),
  );
}

/**
 * A selection of every field of `type`, nested `depth` object levels deep: fields added to a type are read without a
 * change in the test. Fields with required arguments, and those named `Type.field` in `skip`, are left out.
 */
export function selectAll(type: GraphQLOutputType, depth: number, skip: ReadonlySet<string> = new Set()): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const fields = Object.values(named.getFields()).flatMap((f) => {
    if (skip.has(`${named.name}.${f.name}`) || f.args.some((a) => isNonNullType(a.type))) return [];
    if (!isObjectType(getNamedType(f.type))) return [f.name];
    const inner = depth > 0 ? selectAll(f.type, depth - 1, skip) : '';
    return inner ? [`${f.name} ${inner}`] : [];
  });
  return `{ ${fields.join(' ')} }`;
}
