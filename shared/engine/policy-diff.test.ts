import { describe, expect, it } from 'vitest';
import { diffJson } from './policy-diff.js';

describe('diffJson', () => {
  it('reports nothing for equal documents', () => {
    const doc = { a: 1, b: [1, { c: 'x' }], d: null, e: {} };
    expect(diffJson(doc, structuredClone(doc))).toEqual([]);
  });

  it('names a changed leaf by its dotted path', () => {
    expect(
      diffJson({ classes: { critical: { deadlineMs: 1000 } } }, { classes: { critical: { deadlineMs: 2000 } } }),
    ).toEqual([{ path: 'classes.critical.deadlineMs', kind: 'changed', before: 1000, after: 2000 }]);
  });

  it('reports added and removed keys with the missing side undefined', () => {
    expect(diffJson({ a: 1, b: 2 }, { b: 2, c: 3 })).toEqual([
      { path: 'a', kind: 'removed', before: 1, after: undefined },
      { path: 'c', kind: 'added', before: undefined, after: 3 },
    ]);
  });

  it('compares arrays index by index, with array indexes in the path', () => {
    expect(diffJson({ routes: ['a', 'b'] }, { routes: ['a', 'c', 'd'] })).toEqual([
      { path: 'routes.1', kind: 'changed', before: 'b', after: 'c' },
      { path: 'routes.2', kind: 'added', before: undefined, after: 'd' },
    ]);
  });

  it('reports a change of type once, at its own path', () => {
    expect(diffJson({ a: { x: 1 } }, { a: [1] })).toEqual([
      { path: 'a', kind: 'changed', before: { x: 1 }, after: [1] },
    ]);
    expect(diffJson({ a: null }, { a: { x: 1 } })).toEqual([
      { path: 'a', kind: 'changed', before: null, after: { x: 1 } },
    ]);
  });

  it('treats null as a value, distinct from a missing key', () => {
    expect(diffJson({ a: null }, {})).toEqual([{ path: 'a', kind: 'removed', before: null, after: undefined }]);
  });

  it('uses (root) as the path when the documents themselves differ', () => {
    expect(diffJson(1, 2)).toEqual([{ path: '(root)', kind: 'changed', before: 1, after: 2 }]);
  });

  it('lists keys in sorted order so the output is stable', () => {
    expect(diffJson({ b: 1, a: 1 }, { a: 2, b: 2 }).map((c) => c.path)).toEqual(['a', 'b']);
  });
});
