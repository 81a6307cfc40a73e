// Malformed GraphQL requests, hostile documents and badly typed variables, for fuzz-endpoints.test.ts: each must be
// refused before any resolver runs, with a client error code.
import fc from 'fast-check';
import { TRAFFIC_CLASSES } from '../../shared/contracts/policy.js';
import { DEFAULT_POLICY } from '../../shared/engine/policy-matrix.js';
import { MAX_ALIASES, MAX_FRAGMENTS } from '../../server/graphql/request-limits.js';
import { MAX_INPUT_DEPTH } from '../../server/http/input-limits.js';
import { MAX_BODY_BYTES, PROTO_KEYS, deepJson, depth, hostileString, jsonValue, type Probe } from './fuzz-values.js';

const GQL = '/graphql';
export const JSON_TYPE = { 'content-type': 'application/json' };
const PARSE = ['GRAPHQL_PARSE_FAILED'];
export const VALIDATION = ['GRAPHQL_VALIDATION_FAILED'];
const REQUEST = ['BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE'];

/** A GraphQL POST; `variables` go through `JSON.stringify`, so every hostile string arrives as sent. */
export const op = (label: string, query: string, variables?: unknown, rest: Partial<Probe> = {}): Probe => ({
  label,
  path: GQL,
  headers: JSON_TYPE,
  body: JSON.stringify({ query, variables }),
  ...rest,
});

const VALID_DOCS = [
  '{ me { role keyId } }',
  'query Budgets { tenants { id budget { spentUsd band } } }',
  'query Page($n: Int) { decisions(first: $n) { edges { cursor node { id } } } }',
  'mutation { createTenant(input: { id: "fuzz-x", name: "X" }) { id } }',
  'mutation Publish($d: JSON!) { publishPolicy(scope: "global", document: $d) { version } }',
];
/** A name GraphQL accepts (not one of its own `__` names). */
export const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,24}$/).filter((n) => !n.startsWith('__'));

/** Requests yoga cannot take: not JSON, not an object, a batch, parameters of the wrong type, another media type. */
const malformedRequests: fc.Arbitrary<Probe> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({
    label: `invalid JSON: {${s.slice(0, 80)}`,
    path: GQL,
    headers: JSON_TYPE,
    body: `{${s}`,
    codes: REQUEST,
  })),
  fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'application/octet-stream',
        'multipart/form-data; boundary=x',
        'text/html',
        'image/png',
      ),
      fc.constantFrom(...VALID_DOCS),
    )
    .map(([type, query]) => ({
      label: `content-type ${type}`,
      path: GQL,
      headers: { 'content-type': type },
      body: JSON.stringify({ query }),
      status: [415],
      codes: ['BAD_REQUEST'],
    })),
  jsonValue
    .filter((v) => typeof v !== 'object' || v === null)
    .map((v) => ({
      label: `body ${JSON.stringify(v).slice(0, 80)}`,
      path: GQL,
      headers: JSON_TYPE,
      body: JSON.stringify(v),
      status: [400],
      codes: REQUEST,
    })),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...VALID_DOCS).map((query) => ({ query })),
        jsonValue,
      ),
      { maxLength: 20 },
    )
    .map((batch) => ({
      label: `batch of ${batch.length}`,
      path: GQL,
      headers: JSON_TYPE,
      body: JSON.stringify(batch),
      status: [400],
      codes: REQUEST,
    })),
  fc
    .tuple(
      fc.constantFrom('query', 'variables', 'extensions', 'operationName'),
      fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant([1]),
        fc.string().map((s) => `not an object ${s}`),
      ),
    )
    .filter(([param, value]) => !(param === 'query' && typeof value === 'string'))
    .filter(([param, value]) => !(param === 'operationName' && typeof value === 'string'))
    .map(([param, value]) => ({
      label: `${param} = ${JSON.stringify(value).slice(0, 80)}`,
      path: GQL,
      headers: JSON_TYPE,
      body: JSON.stringify({ query: '{ me { role } }', [param]: value }),
      status: [400],
      codes: REQUEST,
    })),
  fc
    .tuple(fc.oneof(hostileString, fc.constantFrom(...PROTO_KEYS)), jsonValue)
    .filter(([key, value]) => !['query', 'variables', 'operationName', 'extensions'].includes(key) && value !== null)
    .map(([key, value]) => ({
      label: `unexpected parameter ${JSON.stringify(key).slice(0, 60)}`,
      path: GQL,
      headers: JSON_TYPE,
      body: `{"query":"{ me { role } }",${JSON.stringify(key)}:${JSON.stringify(value)}}`,
      status: [400],
      codes: REQUEST,
    })),
  name.map((operationName) => ({
    label: `unknown operation ${operationName}_`,
    path: GQL,
    headers: JSON_TYPE,
    body: JSON.stringify({
      query: 'query A { me { role } } query B { me { keyId } }',
      operationName: `${operationName}_`,
    }),
    status: [400],
    codes: REQUEST,
  })),
  fc.string({ maxLength: 60 }).map((garbage) => ({
    label: `form body ${garbage.slice(0, 60)}`,
    path: GQL,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `query=${encodeURIComponent('{ me { role } }')}&variables=%7B%7B${encodeURIComponent(garbage)}`,
    status: [400],
    codes: REQUEST,
  })),
  fc.string({ maxLength: 60 }).map((garbage) => ({
    label: `GET with variables {${garbage.slice(0, 60)}`,
    path: `${GQL}?query=${encodeURIComponent('{ me { role } }')}&variables=%7B%7B${encodeURIComponent(garbage)}`,
    method: 'GET',
    status: [400],
    codes: REQUEST,
  })),
  fc
    .integer({ min: MAX_BODY_BYTES + 1, max: 2_500_000 })
    .map((size) => op(`${size}-byte variables`, VALID_DOCS[4]!, { d: { note: 'n'.repeat(size) } }, { status: [413] })),
);

/** Documents that do not parse, nest too deeply, chain too many fragments or alias a field too often. */
const hostileDocuments: fc.Arbitrary<Probe> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...VALID_DOCS), fc.nat())
    .map(([doc, n]) => op(`prefix of ${doc}`, doc.slice(0, n % doc.length), undefined, { codes: PARSE })),
  fc
    .tuple(fc.constantFrom(...VALID_DOCS), fc.constantFrom(')', ']', '}', '{', '"', '$', '...', '@'))
    .map(([doc, junk]) => op(`${doc} ${junk}`, `${doc} ${junk}`, undefined, { codes: PARSE })),
  fc
    .string({ unit: 'binary', maxLength: 300 })
    .map((s) => op(`garbage }${s.slice(0, 60)}`, `}${s}`, undefined, { codes: PARSE })),
  fc
    .integer({ min: 100_000, max: 400_000 })
    .map((n) => op(`${n} characters of garbage`, `{ me ${'@'.repeat(n)} }`, undefined, { codes: PARSE })),
  fc
    .constantFrom('\\ud800', '\\udfff', '\\u{110000}', '\\x41', '\\u12')
    .map((c) =>
      op(`string literal with ${JSON.stringify(c)}`, `{ policy(scope: "a${c}b") { id } }`, undefined, { codes: PARSE }),
    ),
  fc
    .constantFrom('\\u0000', 'a\\u0000', '\\u{0}', '\u0000')
    .map((c) =>
      op(
        `NUL in a literal: ${c}`,
        `mutation { createTenant(input: { id: "nul-${c.length}", name: "${c}" }) { id } }`,
        undefined,
        { codes: VALIDATION },
      ),
    ),
  depth(MAX_INPUT_DEPTH, 10_000).map((n) =>
    op(`selection ${n} deep`, `{ me ${'{ role '.repeat(n)}${'}'.repeat(n + 1)}`, undefined, { codes: PARSE }),
  ),
  depth(MAX_INPUT_DEPTH, 30_000).map((n) =>
    op(`list literal ${n} deep`, `{ validatePolicy(document: ${'['.repeat(n)}${']'.repeat(n)}) { ok } }`, undefined, {
      codes: PARSE,
    }),
  ),
  depth(MAX_INPUT_DEPTH, 20_000).map((n) =>
    op(
      `object literal ${n} deep`,
      `{ validatePolicy(document: ${'{a:'.repeat(n)}1${'}'.repeat(n)}) { ok } }`,
      undefined,
      { codes: PARSE },
    ),
  ),
  fc.integer({ min: MAX_FRAGMENTS + 1, max: 2_000 }).map((n) => {
    const fragments = Array.from(
      { length: n },
      (_, i) => `fragment F${i} on Me { role ${i + 1 < n ? `...F${i + 1}` : ''} }`,
    );
    return op(`chain of ${n} fragments`, `{ me { ...F0 } } ${fragments.join(' ')}`, undefined, { codes: PARSE });
  }),
  fc
    .tuple(
      fc.integer({ min: MAX_ALIASES + 1, max: 1_000 }),
      fc.constantFrom(
        'me { role }',
        'routes { id }',
        'tenants { id budget { band } }',
        'policy(scope: "global") { document }',
        '__schema { types { name } }',
        'auditLog(first: 500) { id }',
      ),
    )
    .map(([n, field]) =>
      op(
        `${n} aliases of ${field}`,
        `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`,
        undefined,
        { codes: VALIDATION },
      ),
    ),
);

const notInteger = fc.oneof(
  hostileString,
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1e20, true, false, null, {}, [], [1.5], { n: 1 }),
);
const notDate = fc
  .oneof(hostileString, fc.constantFrom(true, null, {}, [], 'yesterday', '2025-13-45'))
  .filter((v) => v === null || Number.isNaN(new Date(String(v)).getTime()));
const notId = fc.constantFrom(true, false, null, 1.5, {}, [], ['a'], { id: 'x' });

/** Unknown names anywhere in a document, and variables of the wrong type (or too deep, or holding U+0000). */
const unknownNamesAndBadVariables = (fields: { query: string[]; me: string[] }): fc.Arbitrary<Probe> =>
  fc.oneof(
    name
      .filter((n) => !fields.query.includes(n))
      .map((n) => op(`unknown field ${n}`, `{ ${n} }`, undefined, { codes: VALIDATION })),
    name
      .filter((n) => !fields.me.includes(n))
      .map((n) => op(`unknown subfield ${n}`, `{ me { ${n} } }`, undefined, { codes: VALIDATION })),
    name.map((n) => op(`unknown argument ${n}`, `{ me(${n}: 1) { role } }`, undefined, { codes: VALIDATION })),
    name
      .filter((n) => !['include', 'skip', 'deprecated', 'specifiedBy', 'oneOf', 'defer', 'stream'].includes(n))
      .map((n) => op(`unknown directive @${n}`, `{ me @${n} { role } }`, undefined, { codes: VALIDATION })),
    name
      .filter((n) => !['id', 'name', 'contentLogging'].includes(n))
      .map((n) =>
        op(
          `unknown input field ${n}`,
          `mutation { createTenant(input: { id: "fuzz-u", name: "U", ${n}: 1 }) { id } }`,
          undefined,
          { codes: VALIDATION },
        ),
      ),
    name
      .filter((n) => !['fired', 'resolved'].includes(n))
      .map((n) =>
        op(`unknown enum value ${n}`, `{ alertEvents(state: ${n}) { id } }`, undefined, { codes: VALIDATION }),
      ),
    name.map((n) => op(`unknown type ${n}Fuzz`, `query($x: ${n}Fuzz) { me { role } }`, {}, { codes: VALIDATION })),
    notInteger.map((v) =>
      op(
        `Int! = ${JSON.stringify(v)?.slice(0, 60)}`,
        'query($n: Int!) { auditLog(first: $n) { id } }',
        { n: v },
        { status: [400], codes: ['BAD_USER_INPUT'] },
      ),
    ),
    fc
      .oneof(hostileString, notId)
      .filter((v) => v !== 'fired' && v !== 'resolved')
      .map((v) =>
        op(
          `AlertState! = ${JSON.stringify(v)?.slice(0, 60)}`,
          'query($s: AlertState!) { alertEvents(state: $s) { id } }',
          { s: v },
          { status: [400], codes: ['BAD_USER_INPUT'] },
        ),
      ),
    notDate.map((v) =>
      op(
        `DateTime! = ${JSON.stringify(v)?.slice(0, 60)}`,
        'query($d: DateTime!) { alertEvents(before: $d) { id } }',
        { d: v },
        { status: [400], codes: ['BAD_USER_INPUT'] },
      ),
    ),
    notId.map((v) =>
      op(
        `ID! = ${JSON.stringify(v)}`,
        'query($id: ID!) { tenant(id: $id) { id } }',
        { id: v },
        { status: [400], codes: ['BAD_USER_INPUT'] },
      ),
    ),
    fc
      .oneof(
        hostileString,
        fc.integer(),
        fc.constant([]),
        fc.record({ id: fc.oneof(fc.integer(), fc.boolean(), fc.constant({})) }),
        fc
          .tuple(fc.oneof(hostileString, fc.constantFrom(...PROTO_KEYS)), jsonValue)
          .filter(([k]) => !['id', 'name', 'contentLogging'].includes(k))
          .map(([k, v]) => Object.defineProperty({ id: 'fuzz-v', name: 'V' }, k, { value: v ?? 1, enumerable: true })),
      )
      .map((input) =>
        op(
          `CreateTenantInput! = ${JSON.stringify(input)?.slice(0, 80)}`,
          'mutation($input: CreateTenantInput!) { createTenant(input: $input) { id } }',
          { input },
          { status: [400], codes: ['BAD_USER_INPUT'] },
        ),
      ),
    fc
      .oneof(
        fc.constant({ messages: [{ role: 'USER', content: 'hi' }] }),
        fc.constant({ messages: [{ content: 'hi' }] }),
        fc.constant({ messages: [{ role: 'user', content: 5 }] }),
        hostileString
          .filter((c) => !(TRAFFIC_CLASSES as readonly string[]).includes(c))
          .map((trafficClass) => ({ trafficClass, messages: [{ role: 'user', content: 'hi' }] })),
        fc.constant({ messages: [{ role: 'user', content: 'hi' }], params: { temperature: 'hot' } }),
        fc.constant({ messages: [{ role: 'user', content: 'hi' }], params: { maxTokens: 1.5 } }),
        fc.constant({ messages: [{ role: 'user', content: 'hi' }], sensitive: 'yes' }),
      )
      .map((input) =>
        op(
          `CompleteInput! = ${JSON.stringify(input).slice(0, 80)}`,
          'mutation($input: CompleteInput!) { complete(input: $input) { content } }',
          { input },
          { status: [400], codes: ['BAD_USER_INPUT'] },
        ),
      ),
    fc.constant(
      op(
        'missing Int!',
        'query($n: Int!) { auditLog(first: $n) { id } }',
        {},
        { status: [400], codes: ['BAD_USER_INPUT'] },
      ),
    ),
    deepJson(MAX_INPUT_DEPTH, 50_000).map((d) => ({
      label: `variable ${d.length / 2} deep`,
      path: GQL,
      headers: JSON_TYPE,
      body: `{"query":"mutation($d: JSON!) { publishPolicy(scope: \\"global\\", document: $d) { version } }","variables":{"d":${d}}}`,
      status: [400],
      codes: ['BAD_USER_INPUT'],
    })),
    fc
      .tuple(
        fc.constantFrom('userId', 'featureId', 'tenantId', 'idempotencyKey', 'appId'),
        fc.constantFrom('\u0000', 'a\u0000b'),
      )
      .map(([field, value]) =>
        op(
          `NUL in ${field}`,
          'mutation($input: CompleteInput!) { complete(input: $input) { content } }',
          { input: { messages: [{ role: 'user', content: 'hi' }], [field]: value } },
          { status: [400], codes: ['BAD_USER_INPUT'] },
        ),
      ),
    fc.constant(
      op(
        'NUL in a key of a policy',
        'mutation($d: JSON!) { publishPolicy(scope: "global", document: $d) { version } }',
        { d: { ...DEFAULT_POLICY, 'k\u0000': 1 } },
        { status: [400], codes: ['BAD_USER_INPUT'] },
      ),
    ),
  );

/** Every kind of request the GraphQL endpoint must refuse before running it. */
export const graphQLProbes = (fields: { query: string[]; me: string[] }) => ({
  malformed: malformedRequests,
  documents: hostileDocuments,
  names: unknownNamesAndBadVariables(fields),
});
