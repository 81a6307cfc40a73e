import { createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { MAX_ALIASES, MAX_FRAGMENTS, useRequestLimits } from './request-limits.js';
import { schema } from './schema.js';

// Every case here is refused before a resolver runs, so the schema needs no services.
const yoga = createYoga({ schema, logging: false, multipart: false, plugins: [useRequestLimits()] });

async function post(body: string, contentType = 'application/json') {
  const res = await yoga.fetch('http://backstop.test/graphql', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const json = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: res.status, message: json.errors?.[0]?.message, code: json.errors?.[0]?.extensions?.code };
}
const query = (q: string, variables?: unknown) => post(JSON.stringify({ query: q, variables }));

describe('useRequestLimits', () => {
  it('answers a content type yoga cannot read with 415 and a JSON error, not an empty body', async () => {
    expect(await post('{ me { role } }', 'text/plain')).toMatchObject({ status: 415, code: 'BAD_REQUEST' });
  });

  it('refuses a document nested past the limit as a parse error instead of overflowing the stack', async () => {
    const deep = `{ me ${'{ role '.repeat(5_000)}${'}'.repeat(5_001)}`;
    expect(await query(deep)).toMatchObject({
      code: 'GRAPHQL_PARSE_FAILED',
      message: expect.stringMatching(/nests deeper/),
    });
    const literal = `{ validatePolicy(document: ${'['.repeat(20_000)}${']'.repeat(20_000)}) { ok } }`;
    expect(await query(literal)).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
  });

  it(`refuses more than ${MAX_FRAGMENTS} fragments, whose spreads graphql-js follows recursively`, async () => {
    const n = 10_000;
    const fragments = Array.from(
      { length: n },
      (_, i) => `fragment F${i} on Me { role ${i + 1 < n ? `...F${i + 1}` : ''} }`,
    );
    expect(await query(`{ me { ...F0 } } ${fragments.join(' ')}`)).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
  });

  it(`refuses more than ${MAX_ALIASES} aliases`, async () => {
    const aliases = Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `a${i}: __typename`).join(' ');
    expect(await query(`{ ${aliases} }`)).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const allowed = Array.from({ length: MAX_ALIASES }, (_, i) => `a${i}: __typename`).join(' ');
    expect(await query(`{ ${allowed} }`)).toMatchObject({ status: 200, code: undefined });
  });

  it('refuses U+0000 in a string literal or a variable, and variables nested past the limit', async () => {
    expect(await query('{ policy(scope: "a\\u0000") { id } }')).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const doc = 'query($d: JSON!) { validatePolicy(document: $d) { ok } }';
    expect(await query(doc, { d: { name: 'a\u0000' } })).toMatchObject({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: 'invalid input: variables.d.name: must not contain the NUL character (\\u0000)',
    });
    const deep = post(
      `{"query":${JSON.stringify(doc)},"variables":{"d":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    );
    expect(await deep).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
  });

  it('answers variables that are not JSON in a GET query string with 400, not a masked 500', async () => {
    const res = await yoga.fetch('http://backstop.test/graphql?query=%7B__typename%7D&variables=%7B', {
      method: 'GET',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });
});
