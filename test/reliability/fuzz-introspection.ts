// Introspection requests that ask too much, for fuzz-endpoints.test.ts: each must be refused before it runs.
import fc from 'fast-check';
import { MAX_ALIASES } from '../../server/graphql/request-limits.js';
import { VALIDATION, name, op } from './fuzz-graphql.js';
import type { Probe } from './fuzz-values.js';

/** Introspection that asks too much: nested beyond graphql-js' introspection depth, aliased, or malformed. */
export const introspectionBombs: fc.Arbitrary<Probe> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 4, max: 30 }),
      fc.constantFrom('fields { name type {', 'interfaces { name possibleTypes {', 'inputFields { name type {'),
    )
    .map(([n, step]) =>
      op(
        `introspection ${n} levels of ${step}`,
        `{ __schema { types { name ${`${step} name `.repeat(n)}${'} }'.repeat(n)} } } }`,
        undefined,
        { codes: VALIDATION },
      ),
    ),
  fc
    .integer({ min: MAX_ALIASES + 1, max: 500 })
    .map((n) =>
      op(
        `${n} aliased __schema`,
        `{ ${Array.from({ length: n }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(' ')} }`,
        undefined,
        { codes: VALIDATION },
      ),
    ),
  name
    .filter((n) => !['description', 'types', 'queryType', 'mutationType', 'subscriptionType', 'directives'].includes(n))
    .map((n) => op(`__schema.${n}`, `{ __schema { ${n} } }`, undefined, { codes: VALIDATION })),
  fc
    .constantFrom(
      '{ __type { name } }',
      '{ __type(name: 5) { name } }',
      '{ __schema { types { fields(includeDeprecated: "yes") { name } } } }',
      '{ __typename { name } }',
    )
    .map((q) => op(q, q, undefined, { codes: VALIDATION })),
);
