import type { z } from 'zod';
import { clientError } from './errors.js';

/** One problem with an input, named by its dotted path. */
export interface InputIssue {
  path: string;
  message: string;
}

/** BAD_USER_INPUT whose message names every field at fault; `extensions.issues` lists them for forms. */
export function badInput(issues: InputIssue[]) {
  return clientError('BAD_USER_INPUT', `invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
  });
}

/**
 * Parses a GraphQL input with a zod schema, before anything is written. Throws BAD_USER_INPUT naming each field,
 * prefixed with `prefix` (the argument name) so the path reads as the client sent it; an unknown key of a strict
 * object is named by its own path.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const pathOf = (path: PropertyKey[]) =>
    [prefix, ...path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(root)';
  throw badInput(
    parsed.error.issues.flatMap((i) =>
      // zod reports unknown keys on their parent object; name each key, so a form can point at it.
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ path: pathOf([...i.path, key]), message: `unknown field "${key}"` }))
        : [{ path: pathOf(i.path), message: i.message }],
    ),
  );
}

/** The input without null fields: GraphQL sends null for "not given", zod's `.optional()` wants undefined. */
export function withoutNulls<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as never;
}
