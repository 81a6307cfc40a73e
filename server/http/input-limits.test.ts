import { describe, expect, it } from 'vitest';
import { MAX_INPUT_DEPTH, findInputProblem } from './input-limits.js';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('findInputProblem', () => {
  it('accepts ordinary JSON, nested up to the limit', () => {
    expect(findInputProblem({ model: 'critical', messages: [{ role: 'user', content: 'hi 👋 \u0001' }] })).toBe(
      undefined,
    );
    expect(findInputProblem(nested(MAX_INPUT_DEPTH))).toBe(undefined);
    expect(findInputProblem(null)).toBe(undefined);
  });

  it('names the first container past the depth limit, without recursing through the rest', () => {
    const problem = findInputProblem({ schema: nested(200_000) });
    expect(problem?.message).toBe(`nested deeper than ${MAX_INPUT_DEPTH} levels`);
    expect(problem?.path).toHaveLength(MAX_INPUT_DEPTH);
    expect(problem?.path[0]).toBe('schema');
  });

  it('names a string or a key holding U+0000, which Postgres text cannot store', () => {
    expect(findInputProblem({ messages: [{ content: 'a\u0000b' }] })).toEqual({
      path: ['messages', 0, 'content'],
      message: 'must not contain the NUL character (\\u0000)',
    });
    expect(findInputProblem({ metadata: { 'k\u0000': 'v' } })).toEqual({
      path: ['metadata', 'k\u0000'],
      message: 'keys must not contain the NUL character (\\u0000)',
    });
  });
});
