/** How a value at one path changed between two JSON documents. */
export type JsonChangeKind = 'added' | 'removed' | 'changed';

/** One difference: `before` is undefined for `added`, `after` is undefined for `removed`. */
export interface JsonChange {
  /** Dotted path from the root, array indexes as numbers (`classes.critical.tiers.0.routes.1`); `(root)` for the root. */
  path: string;
  kind: JsonChangeKind;
  before: unknown;
  after: unknown;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The leaf-level differences between two JSON values, in document order: objects are compared key by key (keys
 * sorted), arrays index by index, and anything else by value. A value whose type changes (object to array,
 * number to string) is reported once at its own path rather than as the sum of its children.
 * @example diffJson({ a: 1, b: [1] }, { a: 2, b: [1, 2] })
 * // [{ path: 'a', kind: 'changed', before: 1, after: 2 }, { path: 'b.1', kind: 'added', before: undefined, after: 2 }]
 */
export function diffJson(before: unknown, after: unknown): JsonChange[] {
  const changes: JsonChange[] = [];
  walk(before, after, [], changes);
  return changes;
}

function walk(before: unknown, after: unknown, path: string[], out: JsonChange[]): void {
  if (before === undefined && after === undefined) return;
  const at = path.length ? path.join('.') : '(root)';
  if (before === undefined) {
    out.push({ path: at, kind: 'added', before, after });
    return;
  }
  if (after === undefined) {
    out.push({ path: at, kind: 'removed', before, after });
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++)
      walk(before[i], after[i], [...path, String(i)], out);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) walk(before[k], after[k], [...path, k], out);
    return;
  }
  // Primitives compare by value; an object against an array (or a primitive) is a change of type, reported whole.
  if (before !== after) out.push({ path: at, kind: 'changed', before, after });
}
