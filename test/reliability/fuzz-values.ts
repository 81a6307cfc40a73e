// Hostile values for the endpoint fuzz run (fuzz-endpoints.test.ts), and the shape of one of its requests. Every
// request of the run is invalid by construction (it carries at least one fault the server must refuse), so that a
// correct server answers each with a 4xx and writes nothing.
import fc from 'fast-check';
import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import { DEFAULT_POLICY } from '../../shared/engine/policy-matrix.js';

/** One request of the run, and what a correct answer looks like. */
export interface Probe {
  /** What is hostile about it, printed when an assertion fails. */
  label: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** `admin`, `viewer`, `tenant` (of acme), `revoked`, or none (`authorization`, if any, is in `headers`). */
  as?: 'admin' | 'viewer' | 'tenant' | 'revoked' | 'none';
  /** The statuses a correct server may answer with; defaults to any 4xx (and 200 for GraphQL errors). */
  status?: readonly number[];
  /** GraphQL only: the `extensions.code` values a correct server may answer with. */
  codes?: readonly string[];
}

/** Tenants and routes of the fixture, so that "unknown" values can be told apart from real ones. */
export interface Known {
  tenants: ReadonlySet<string>;
  models: ReadonlySet<string>;
  routes: readonly string[];
}

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
/** Parsed JSON with these keys, merged naively, would set `polluted` on every object. */
export const POLLUTERS = [
  '"__proto__":{"polluted":"yes"}',
  '"constructor":{"prototype":{"polluted":"yes"}}',
  '"prototype":{"polluted":"yes"}',
];

/** Strings that break naive code: any code point, control characters, lone surrogates, NUL, injections, 300 KB. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    ...PROTO_KEYS,
    '',
    '   ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\ud83d',
    '\u202e\u0007\u001b[31m',
    '\ufeff',
    'global',
    '*',
    "'; drop table decisions; --",
    '../../etc/passwd',
    '%s%n${7*7}{{7*7}}',
    '\r\n\r\nHTTP/1.1 200 OK',
  ),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)),
);

/** Values a header may carry (Latin-1, no control characters), possibly long. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'k'.repeat(n)),
);

/**
 * A nesting depth from `min`: just past a limit, or thousands of levels deep, where recursive code overflowed the
 * stack before the limits existed. Never more than `max`.
 */
export const depth = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min, max: min + 100 }), fc.integer({ min: Math.min(3_000, max), max }));

/** A JSON text nested that deep, as arrays or as objects. */
export const deepJson = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .tuple(depth(min, max), fc.boolean())
    .map(([n, arrays]) => (arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n)));

/** Any JSON value, hostile keys included (parsed as own properties, as `JSON.parse` does). */
export const jsonValue: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** A tenant id that names no tenant of the fixture (and so writes nothing when used). */
export const unknownTenant = (known: Known) =>
  fc
    .oneof(hostileString, fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/))
    .filter((s) => !known.tenants.has(s) && !['global', '*'].includes(s));

/** A copy of the default policy with one primitive leaf replaced by an object, which no leaf accepts. */
export const poisonedPolicy: fc.Arbitrary<unknown> = fc
  .tuple(fc.nat(), fc.constantFrom(...PROTO_KEYS))
  .map(([pick, key]) => {
    const policy = structuredClone(DEFAULT_POLICY) as Record<string, unknown>;
    const leaves = leafPaths(policy);
    const path = leaves[pick % leaves.length]!;
    let parent = policy;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string, unknown>;
    parent[path.at(-1)!] = JSON.parse(`{${POLLUTERS[0]}}`);
    Object.defineProperty(policy, key, { value: { polluted: 'yes' }, enumerable: true });
    return policy;
  });

function leafPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [path];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
}

/** True when `s` is a model the gateway serves (a traffic class or a route id). */
export const isKnownModel = (known: Known, s: string) =>
  known.models.has(s) || (TRAFFIC_CLASSES as readonly string[]).includes(s);

/** The gateway's body-size limit (AppOptions.maxBodyBytes), in bytes. */
export const MAX_BODY_BYTES = 1_048_576;
