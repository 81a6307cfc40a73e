import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

type Executor = { execute(query: SQL): Promise<unknown> };

/**
 * A row keyed by its table's column names (snake_case), the shape `jsonb_populate_recordset` reads. Every column is
 * listed, so a column added to the schema fails the build until the writer fills it; `undefined` is written as NULL.
 */
export type ColumnRecord<T extends PgTable> = {
  [K in keyof T['_']['columns'] as T['_']['columns'][K]['_']['name']]: unknown;
};

// Lone surrogates are valid in JS strings but not in jsonb: made well-formed, as a text parameter would be.
const LONE_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i;
// String.prototype.toWellFormed is in Node 20 (V8 11.3); TypeScript's ES2022 lib does not declare it.
const wellFormed = (_key: string, value: unknown) =>
  typeof value === 'string' ? (value as string & { toWellFormed(): string }).toWellFormed() : value;

/**
 * Inserts many rows as ONE jsonb parameter expanded by `jsonb_populate_recordset`, with ON CONFLICT DO NOTHING.
 * Building a 20-column x 500-row parameter list costs more CPU than the insert itself (query building and one bind
 * per value); a single JSON string is serialized natively and parsed once by Postgres. The rows come keyed by column
 * name, built by the caller in one step: copying them from field names cost more than the JSON itself. Returns the
 * inserted `returning` column's values.
 */
export async function insertRecordset<T extends PgTable>(
  db: Executor,
  table: T,
  records: readonly ColumnRecord<T>[],
  returning?: keyof ColumnRecord<T> & string,
): Promise<unknown[]> {
  if (records.length === 0) return [];
  let json = JSON.stringify(records);
  if (LONE_SURROGATE.test(json)) json = JSON.stringify(records, wellFormed);
  const list = sql.join(
    Object.values(getTableColumns(table)).map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const name = sql.identifier(getTableName(table));
  const result = await db.execute(
    sql`insert into ${name} (${list}) select ${list} from jsonb_populate_recordset(null::${name}, ${json}::jsonb)
      on conflict do nothing ${returning ? sql`returning ${sql.identifier(returning)}` : sql``}`,
  );
  const resultRows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<
    string,
    unknown
  >[];
  return returning ? resultRows.map((r) => r[returning]) : [];
}
