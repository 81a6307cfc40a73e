import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../server/graphql/schema.js';
import { mountOpenAICompatible } from '../../server/http/openai-compatible.js';
import { startTestBackstop, type TestBackstop } from '../support/backstop.js';
import { graphQLProbes } from './fuzz-graphql.js';
import { introspectionBombs } from './fuzz-introspection.js';
import { graphQLMutationProbes } from './fuzz-mutations.js';
import { openAIProbes } from './fuzz-openai.js';
import type { Known, Probe } from './fuzz-values.js';

// A seeded, bounded fuzz run of both public endpoints with malformed, oversized and hostile requests (the cases are
// in fuzz-openai.ts, fuzz-graphql.ts and fuzz-mutations.ts). Each is invalid by construction, so a correct server
// answers every one with a 4xx and a clear JSON error, within REQUEST_TIMEOUT_MS, stays up, and writes nothing. A
// failure prints the seed, the path and the case's label: rerun with `{ seed, path }` to replay it alone.
const SEED = 20_250_301;
const REQUEST_TIMEOUT_MS = 5_000;
const RUNS = { openAI: 60, graphQL: 70 } as const;

// Codes a client can act on; anything else (INTERNAL_SERVER_ERROR, ALL_TIERS_FAILED, ...) means the server failed.
const CLIENT_CODES = new Set([
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
]);

let tb: TestBackstop;
let keys: Record<'admin' | 'viewer' | 'tenant' | 'revoked', string>;
let known: Known;
let spareKeyId: string;
let rowsBefore: Record<string, number>;

interface Reply {
  status: number;
  type: string;
  text: string;
}

/** Sends a probe in process; a reply (head and body) that takes longer than REQUEST_TIMEOUT_MS fails the run. */
async function send(probe: Probe): Promise<Reply> {
  const as = probe.as ?? 'admin';
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${probe.label}`));
    }, REQUEST_TIMEOUT_MS);
  });
  try {
    const init = {
      method: probe.method ?? 'POST',
      headers: probe.headers,
      body: probe.body,
      signal: controller.signal,
      key: as === 'none' ? null : keys[as],
    };
    const res = await Promise.race([tb.fetch(probe.path, init), deadline]);
    const text = await Promise.race([res.text(), deadline]);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  } finally {
    clearTimeout(timer);
  }
}

function expectClearMessage(message: unknown, where: string) {
  expect(typeof message, where).toBe('string');
  expect((message as string).trim(), where).not.toBe('');
  expect(message, where).not.toMatch(/^Unexpected error|had an error while processing|\n\s+at /);
}

function expectJson(reply: Reply, where: string): Record<string, unknown> {
  expect(reply.type, where).toMatch(/^application\/json/);
  return JSON.parse(reply.text) as Record<string, unknown>;
}

/** A 4xx in OpenAI's envelope, `{ error: { message, type, param, code } }`, with a message a person can act on. */
function expectOpenAIError(probe: Probe, reply: Reply) {
  const where = `${probe.label} -> ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status >= 400 && reply.status < 500, where).toBe(true);
  if (probe.status) expect(probe.status, where).toContain(reply.status);
  const { error } = expectJson(reply, where) as { error: Record<string, unknown> };
  expectClearMessage(error.message, where);
  expect(['invalid_request_error', 'permission_error'], where).toContain(error.type);
  expect(error.code, where).toEqual(expect.any(String));
  expect(error.param === null || typeof error.param === 'string', where).toBe(true);
}

/**
 * A GraphQL rejection: 200 or a 4xx, every error with a clear message and a client code, no data. The body limit
 * answers before yoga, in the one JSON error shape of the HTTP edge.
 */
function expectGraphQLError(probe: Probe, reply: Reply) {
  const where = `${probe.label} -> ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status === 200 || (reply.status >= 400 && reply.status < 500), where).toBe(true);
  if (probe.status) expect(probe.status, where).toContain(reply.status);
  const body = expectJson(reply, where);
  if (reply.status === 413) {
    expect(body, where).toMatchObject({ error: { code: 'payload_too_large' } });
    return;
  }
  const errors = body.errors as { message: unknown; extensions?: { code?: string } }[];
  expect(Array.isArray(errors) && errors.length > 0, where).toBe(true);
  for (const error of errors) {
    expectClearMessage(error.message, where);
    expect(CLIENT_CODES, where).toContain(error.extensions?.code);
    if (probe.codes) expect(probe.codes, where).toContain(error.extensions?.code);
  }
  expect(
    Object.values((body.data as Record<string, unknown> | null) ?? {}).every((v) => v === null),
    where,
  ).toBe(true);
}

async function fuzz(arbitrary: fc.Arbitrary<Probe>, numRuns: number, check: (probe: Probe, reply: Reply) => void) {
  // A counterexample prints as its label: bodies run to megabytes.
  const labelled = arbitrary.map((probe) => Object.assign(probe, { [fc.toStringMethod]: () => probe.label }));
  await fc.assert(
    fc.asyncProperty(labelled, async (probe) => {
      check(probe, await send(probe));
    }),
    { seed: SEED, numRuns, endOnFailure: true },
  );
}

/** Rows of every table of every schema (decisions, attempts, keys, budgets, policies, audit log, jobs, ...). */
async function rowCounts(): Promise<Record<string, number>> {
  await tb.services.decisions.flush();
  const { db } = tb.services.database;
  const rows = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[];
  const tables = rows(
    await db.execute(sql`select table_schema as s, table_name as t from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`),
  );
  const counts: Record<string, number> = {};
  for (const { s, t } of tables as { s: string; t: string }[]) {
    const [row] = rows(await db.execute(sql`select count(*) as n from ${sql.identifier(s)}.${sql.identifier(t)}`));
    counts[`${s}.${t}`] = Number(row!.n);
  }
  return counts;
}

describe('endpoint fuzz: malformed, oversized and hostile requests', () => {
  beforeAll(async () => {
    tb = await startTestBackstop({ app: { mount: mountOpenAICompatible } });
    const { tenants } = tb.services;
    await tenants.ensureTenant('globex');
    const admin = (await tenants.authenticate(tb.adminKey))!;
    const revoked = await tenants.createApiKey(admin, { role: 'tenant', tenantId: 'globex', name: 'revoked' });
    await tenants.revokeApiKey(admin, revoked.row.id);
    spareKeyId = (await tenants.createApiKey(admin, { role: 'viewer', tenantId: null, name: 'spare' })).row.id;
    keys = {
      admin: tb.adminKey,
      viewer: await tb.key('viewer'),
      tenant: await tb.key('tenant', 'acme'),
      revoked: revoked.key,
    };
    const routes = [...tb.services.config.routes.keys()];
    known = { tenants: new Set(['default', 'acme', 'globex']), models: new Set(routes), routes };
    rowsBefore = await rowCounts();
  }, 60_000);
  afterAll(() => tb?.close());

  describe('POST /v1/chat/completions and /v1/models', () => {
    const cases = () => openAIProbes(known);
    it('answers a missing, garbage, revoked, read-only or other tenant’s key with 401/403', async () => {
      await fuzz(cases().unauthorised, RUNS.openAI, expectOpenAIError);
    });
    it('answers bodies that are not JSON objects, in any content type, with 400', async () => {
      await fuzz(cases().unparseable, RUNS.openAI, expectOpenAIError);
    });
    it('answers a bad field, NUL, deep nesting, prototype keys or a bad header with a 4xx naming it', async () => {
      await fuzz(cases().faulty, RUNS.openAI * 2, expectOpenAIError);
    });
    it('answers bodies over the 1 MiB limit with 413 payload_too_large', async () => {
      await fuzz(cases().oversized, 6, expectOpenAIError);
    });
    it('answers other methods and paths under /v1 with a 404 in the OpenAI envelope', async () => {
      await fuzz(cases().stray, 30, expectOpenAIError);
    });
  });

  describe('POST /graphql', () => {
    const fields = { query: Object.keys(schema.getQueryType()!.getFields()), me: ['keyId', 'role', 'tenantId'] };
    const cases = () => ({
      ...graphQLProbes(fields),
      introspection: introspectionBombs,
      ...graphQLMutationProbes(known, spareKeyId),
    });
    it('answers bad JSON, other content types, batches and bad parameters with a 4xx and a client code', async () => {
      await fuzz(cases().malformed, RUNS.graphQL, expectGraphQLError);
    });
    it('refuses broken, deep, fragment-chained and alias-bombed documents before running them', async () => {
      await fuzz(cases().documents, RUNS.graphQL, expectGraphQLError);
    });
    it('refuses unknown names, wrongly typed variables, and deep or NUL-holding variables', async () => {
      await fuzz(cases().names, RUNS.graphQL, expectGraphQLError);
    });
    it('refuses introspection bombs', async () => {
      await fuzz(cases().introspection, 30, expectGraphQLError);
    });
    it('refuses every admin mutation with an invalid input, with BAD_USER_INPUT or NOT_FOUND', async () => {
      await fuzz(cases().mutations, RUNS.graphQL * 2, expectGraphQLError);
    });
    it('answers a missing, garbage, revoked, read-only or other tenant’s key with UNAUTHENTICATED/FORBIDDEN', async () => {
      await fuzz(cases().unauthorised, RUNS.graphQL, expectGraphQLError);
    });
  });

  // Last: it sends valid requests, which write.
  it('wrote nothing, polluted no prototype, and still answers valid requests afterwards', async () => {
    expect(await rowCounts()).toEqual(rowsBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);

    const me = await tb.gql<{ me: { role: string } }>('{ me { role } }');
    expect(me).toEqual({ data: { me: { role: 'admin' } } });
    const models = await tb.fetch('/v1/models', { method: 'GET' });
    expect(models.status).toBe(200);
    const chat = await tb.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content: 'still there?' }] }),
    });
    expect(chat.status).toBe(200);
    expect(await chat.json()).toMatchObject({ choices: [{ message: { content: 'You said: "still there?"' } }] });
  });
});
