/** Deepest nesting of arrays and objects accepted in a request body or in GraphQL variables and literals. */
export const MAX_INPUT_DEPTH = 64;

/** Why a request input cannot be taken, and where: `path` as the client sent it (keys and indexes). */
export interface InputProblem {
  path: (string | number)[];
  message: string;
}

const NUL = '\u0000';

/**
 * The first part of a parsed JSON value that Backstop must refuse before any work: nesting deeper than
 * `MAX_INPUT_DEPTH` (every recursive step downstream, from JSON Schema compilers to `JSON.stringify`, would overflow
 * the stack far below the body-size limit), or a string or key holding U+0000, which Postgres text cannot store.
 * Undefined when the value is fine.
 */
export function findInputProblem(value: unknown): InputProblem | undefined {
  return walk(value, 0);
}

// The path is built on the way back up, only for the value at fault: this runs on every request body.
function walk(value: unknown, depth: number): InputProblem | undefined {
  if (typeof value === 'string')
    return value.includes(NUL) ? { path: [], message: 'must not contain the NUL character (\\u0000)' } : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  // The check comes before the descent, so the recursion itself never goes past the limit.
  if (depth >= MAX_INPUT_DEPTH) return { path: [], message: `nested deeper than ${MAX_INPUT_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = walk(value[i], depth + 1);
      if (problem) return (problem.path.unshift(i), problem);
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (key.includes(NUL)) return { path: [key], message: 'keys must not contain the NUL character (\\u0000)' };
    const problem = walk((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return (problem.path.unshift(key), problem);
  }
  return undefined;
}
