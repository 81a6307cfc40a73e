// Shadow routes end to end: requests through the OpenAI-compatible endpoint, shadows started and compared through
// GraphQL, the candidate route on the in-process simulator (hanging or failing on purpose) or a loopback upstream.
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { and, eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { decisions, shadowResults, shadowRoutes } from '../../../drizzle/schema/index.js';
import type { BackstopConfig } from '../../../server/config.js';
import { mountOpenAICompatible } from '../../../server/http/openai-compatible.js';
import { RouteSpecSchema } from '../../../shared/contracts/route.js';
import { DEFAULT_POLICY } from '../../../shared/engine/policy-matrix.js';
import { expectData, expectError } from '../graphql/support.js';
import { startReceiver, waitFor } from '../monitoring/support.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { testDatabases } from '../../support/databases.js';
import type { DatabaseHandle } from '../../../drizzle/client.js';

const TENANT = 'shadowed-co';
/** The candidate: the experiment class's route, never on the critical class's plan (gpt-4o, sonnet, 4o-mini). */
const CANDIDATE = 'gpt-4.1';

const START = /* GraphQL */ `
  mutation ($input: StartShadowRouteInput!) {
    startShadowRoute(input: $input) {
      id
      status
    }
  }
`;
const LIST = /* GraphQL */ `
  query ($tenantId: ID) {
    shadowRoutes(tenantId: $tenantId) {
      id
      scope
      status
      spentUsd
      budgetUsd
      reservedUsd
      comparison {
        skippedBudget
        skippedBusy
        shadowFailures {
          kind
          calls
        }
        serving {
          calls
          errorRate
          p50LatencyMs
          schemaChecked
          schemaPassRate
          totalCostUsd
        }
        shadow {
          calls
          errorRate
          p50LatencyMs
          p95LatencyMs
          schemaChecked
          schemaPassRate
          totalCostUsd
        }
      }
    }
  }
`;

let tb: TestBackstop | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await tb?.close();
  tb = undefined;
  for (const close of closers.splice(0)) await close();
});

async function start(config?: (c: BackstopConfig) => BackstopConfig, database?: DatabaseHandle) {
  if (database) closers.push(() => database.close());
  tb = await startTestBackstop({
    app: { mount: mountOpenAICompatible },
    ...(config && { config }),
    ...(database && { database }),
  });
  const key = await tb.key('tenant', TENANT);
  return { tb, key };
}

async function startShadow(t: TestBackstop, input: Record<string, unknown>): Promise<string> {
  const res = await t.gql(START, { input: { tenantId: TENANT, routeId: CANDIDATE, sampleRate: 1, ...input } });
  return expectData(res).startShadowRoute.id;
}

async function chat(
  t: TestBackstop,
  key: string,
  content: string,
  { headers = {}, body = {} }: { headers?: Record<string, string>; body?: Record<string, unknown> } = {},
) {
  const res = await t.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content }], ...body }),
    key,
  });
  return { status: res.status, decisionId: res.headers.get('x-backstop-decision-id'), body: await res.text() };
}

const results = (t: TestBackstop, shadowId: string) =>
  t.services.database.db.select().from(shadowResults).where(eq(shadowResults.shadowId, shadowId));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

/** Sends `n` requests one after another; returns each one's wall-clock latency, in milliseconds. */
async function timed(t: TestBackstop, key: string, n: number, label: string) {
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await chat(t, key, `${label} ${i}`);
    latencies.push(performance.now() - started);
    expect(res.status, res.body).toBe(200);
  }
  return latencies;
}

// On PGlite the mirror's database writes run on the event loop the requests share; on Postgres they are network I/O.
describe.each(await testDatabases())('a hanging shadow route ($name)', ({ open }) => {
  it('leaves serving latency unchanged while every mirrored call hangs on the candidate', async () => {
    const { tb: t, key } = await start(undefined, await open());
    t.sim.setProfile(CANDIDATE, { hangRate: 1 });
    const hung = () => t.sim.stats().models[CANDIDATE]?.outcomes.hang ?? 0;
    await timed(t, key, 10, 'warm-up');
    // Off and on in alternating blocks, so that a slower moment of a busy machine weighs on both alike.
    const off: number[] = [];
    const on: number[] = [];
    for (let round = 0; round < 3; round++) {
      off.push(...(await timed(t, key, 10, `shadow off ${round}`)));
      const shadowId = await startShadow(t, { trafficClass: 'critical', timeoutMs: 5_000, budgetUsd: 10 });
      on.push(...(await timed(t, key, 10, `shadow on ${round}`)));
      // Every response of the block is in; the candidate has received each mirrored request and answered none.
      await waitFor('the mirrored requests to reach the candidate', () => hung() === 10 * (round + 1));
      expectData(await t.gql(`mutation ($id: ID!) { stopShadowRoute(id: $id) { id } }`, { id: shadowId }));
    }
    expect(t.services.shadows.mirror.inFlight()).toBe(30);
    expect(await t.services.database.db.select().from(shadowResults)).toEqual([]);

    const [offP50, onP50] = [median(off), median(on)];
    console.info(
      `serving latency p50 (${t.services.database.kind}): shadow off ${offP50.toFixed(2)} ms, hanging shadow on ${onP50.toFixed(2)} ms ` +
        `(max off ${Math.max(...off).toFixed(2)} ms, max on ${Math.max(...on).toFixed(2)} ms)`,
    );
    expect(onP50).toBeLessThan(offP50 + 20);
    expect(Math.max(...on)).toBeLessThan(5_000);
  }, 60_000);
});

describe('shadow routes', () => {
  it('serves every request when the candidate fails with 500, and records each failure with its kind', async () => {
    const { tb: t, key } = await start();
    t.sim.setProfile(CANDIDATE, { errorRates: { '500': 1 } });
    const shadowId = await startShadow(t, { budgetUsd: 10 });
    for (let i = 0; i < 8; i++) expect((await chat(t, key, `failing shadow ${i}`)).status).toBe(200);
    await t.services.shadows.mirror.idle();

    const rows = await results(t, shadowId);
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.shadowOutcome === 'failure' && r.shadowFailureKind === 'server_error')).toBe(true);
    expect(rows.every((r) => r.servingOutcome === 'success' && r.servingRouteId === 'gpt-4o')).toBe(true);
    const [shadow] = expectData(await t.gql(LIST, { tenantId: TENANT })).shadowRoutes;
    expect(shadow).toMatchObject({
      id: shadowId,
      comparison: {
        serving: { calls: 8, errorRate: 0 },
        shadow: { calls: 8, errorRate: 1, totalCostUsd: 0 },
        shadowFailures: [{ kind: 'server_error', calls: 8 }],
        skippedBudget: 0,
      },
    });
  }, 60_000);

  it('charges shadow spend to the shadow budget only, and stops mirroring before passing it', async () => {
    const { tb: t, key } = await start();
    await t.services.budgets.setBudget(TENANT, {
      monthlyLimitUsd: 100,
      prepaidBalanceUsd: null,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    // Each mirrored call holds about 0.00042 USD (50 output tokens of gpt-4.1) and costs about a tenth of it.
    const budgetUsd = 0.0008;
    const shadowId = await startShadow(t, { budgetUsd });
    const outcomes: string[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await chat(t, key, `spend ${i}`, { body: { max_tokens: 50 } });
      expect(res.status).toBe(200);
      await t.services.shadows.mirror.idle();
      const [row] = await t.services.database.db
        .select({ outcome: shadowResults.shadowOutcome })
        .from(shadowResults)
        .where(eq(shadowResults.decisionId, res.decisionId!));
      outcomes.push(row!.outcome);
    }
    // Once the budget cannot hold another call, every later request is skipped without a call.
    const firstSkip = outcomes.indexOf('skipped_budget');
    expect(firstSkip, outcomes.join()).toBeGreaterThan(0);
    expect(outcomes.slice(0, firstSkip).every((o) => o === 'success')).toBe(true);
    expect(outcomes.slice(firstSkip).every((o) => o === 'skipped_budget')).toBe(true);
    expect(t.sim.stats().models[CANDIDATE]?.requests).toBe(firstSkip);

    const db = t.services.database.db;
    const [ledger] = await db
      .select({
        spent: sql<string>`${shadowRoutes.spentUsd}::text`,
        reserved: sql<string>`${shadowRoutes.reservedUsd}::text`,
        results: sql<string>`(select sum(${shadowResults.shadowCostUsd}) from ${shadowResults} where ${shadowResults.shadowId} = ${shadowRoutes.id})::text`,
      })
      .from(shadowRoutes)
      .where(eq(shadowRoutes.id, shadowId));
    expect(ledger!.spent).toBe(ledger!.results);
    expect(Number(ledger!.spent)).toBeGreaterThan(0);
    expect(Number(ledger!.spent)).toBeLessThanOrEqual(budgetUsd);
    expect(Number(ledger!.reserved)).toBe(0);

    // The tenant pays for what served it, to the nano-dollar, and nothing of the shadow's.
    await t.services.decisions.flush();
    await t.services.budgets.flush();
    const [served] = await db
      .select({ cost: sql<number>`sum(${decisions.totalCostUsd})`.mapWith(Number) })
      .from(decisions)
      .where(eq(decisions.tenantId, TENANT));
    const budget = expectData(await t.gql(`{ budget(tenantId: "${TENANT}") { spentUsd reservedUsd } }`)).budget;
    expect(budget.spentUsd).toBeCloseTo(served!.cost, 9);
    expect(served!.cost).toBeGreaterThan(0);
    const [compared] = expectData(await t.gql(LIST, { tenantId: TENANT })).shadowRoutes;
    expect(compared.spentUsd).toBeCloseTo(Number(ledger!.spent), 9);
    expect(compared.comparison.skippedBudget).toBe(15 - firstSkip);
    expect(compared.comparison.serving.totalCostUsd).toBeCloseTo(
      (await results(t, shadowId))
        .filter((r) => r.shadowOutcome !== 'skipped_budget')
        .reduce((s, r) => s + r.servingCostUsd, 0),
      9,
    );
  }, 60_000);

  it('never mirrors a sensitive request: flagged by the caller, or by a sensitive feature of the policy', async () => {
    const { tb: t, key } = await start();
    const document = { ...structuredClone(DEFAULT_POLICY), sensitiveFeatures: ['legal'] };
    expectData(
      await t.gql(`mutation ($doc: JSON!) { publishPolicy(scope: "${TENANT}", document: $doc) { id } }`, {
        doc: document,
      }),
    );
    const shadowId = await startShadow(t, { budgetUsd: 10 });
    const sensitive = [
      await chat(t, key, 'private', { headers: { 'x-backstop-sensitive': 'true' } }),
      await chat(t, key, 'contract review', { headers: { 'x-backstop-feature': 'legal' } }),
    ];
    const plain = await chat(t, key, 'public');
    expect([...sensitive, plain].map((r) => r.status)).toEqual([200, 200, 200]);
    await t.services.shadows.mirror.idle();
    const rows = await results(t, shadowId);
    expect(rows.map((r) => r.decisionId)).toEqual([plain.decisionId]);
    expect(t.sim.stats().models[CANDIDATE]?.requests).toBe(1);
  }, 60_000);

  it('computes the schema pass rate of both sides when the request has a response schema', async () => {
    // A candidate that answers JSON matching the schema; the simulator's echo on the serving routes never does.
    const upstream = await startReceiver((_n, _req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-json',
          object: 'chat.completion',
          created: 0,
          model: 'json-model',
          choices: [{ index: 0, message: { role: 'assistant', content: '{"a":"yes"}' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
    closers.push(upstream.close);
    const { tb: t, key } = await start((c) => ({
      ...c,
      providers: { ...c.providers, jsonish: { kind: 'openai', baseUrl: upstream.url.replace(/\/hook$/, '/v1') } },
      routes: new Map([
        ...c.routes,
        ['json-candidate', RouteSpecSchema.parse({ id: 'json-candidate', provider: 'jsonish', model: 'json-model' })],
      ]),
    }));
    const shadowId = await startShadow(t, { routeId: 'json-candidate', trafficClass: 'non_critical', budgetUsd: 1 });
    const responseFormat = {
      type: 'json_schema',
      json_schema: {
        name: 'answer',
        schema: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } },
      },
    };
    for (let i = 0; i < 3; i++) {
      const res = await chat(t, key, `json ${i}`, { body: { model: 'non_critical', response_format: responseFormat } });
      expect(res.status).toBe(200);
    }
    expect((await chat(t, key, 'no schema', { body: { model: 'non_critical' } })).status).toBe(200);
    await t.services.shadows.mirror.idle();
    const [shadow] = expectData(await t.gql(LIST, { tenantId: TENANT })).shadowRoutes;
    expect(shadow.comparison).toMatchObject({
      // The serving side stood in with the class's default (non-JSON) answer; the candidate matched every time.
      serving: { calls: 4, schemaChecked: 3, schemaPassRate: 0 },
      shadow: { calls: 4, errorRate: 0, schemaChecked: 3, schemaPassRate: 1 },
    });
    const rows = await t.services.database.db
      .select()
      .from(shadowResults)
      .where(and(eq(shadowResults.shadowId, shadowId), sql`${shadowResults.shadowSchemaPass} is null`));
    expect(rows).toHaveLength(1);
  }, 60_000);

  it('refuses bad input with typed errors, and stops a shadow so that it mirrors no more', async () => {
    const { tb: t, key } = await start();
    const bad = async (input: Record<string, unknown>) =>
      expectError(
        await t.gql(START, { input: { routeId: CANDIDATE, sampleRate: 0.5, budgetUsd: 1, ...input } }),
        'BAD_USER_INPUT',
      ).extensions?.issues;
    expect(await bad({ routeId: 'no-such-route' })).toEqual([{ path: 'input.routeId', message: 'unknown route' }]);
    expect(await bad({ sampleRate: 0 })).toEqual([expect.objectContaining({ path: 'input.sampleRate' })]);
    expect(await bad({ sampleRate: 1.5 })).toEqual([expect.objectContaining({ path: 'input.sampleRate' })]);
    expect(await bad({ timeoutMs: 60_001 })).toEqual([expect.objectContaining({ path: 'input.timeoutMs' })]);
    expect(await bad({ budgetUsd: 0 })).toEqual([expect.objectContaining({ path: 'input.budgetUsd' })]);
    expectError(
      await t.gql(START, { input: { tenantId: 'nobody', routeId: CANDIDATE, sampleRate: 1, budgetUsd: 1 } }),
      'NOT_FOUND',
    );
    expectError(await t.gql(START, { input: { routeId: CANDIDATE, sampleRate: 1, budgetUsd: 1 } }, key), 'FORBIDDEN');
    expectError(await t.gql(`mutation { stopShadowRoute(id: "nope") { id } }`), 'NOT_FOUND');

    const shadowId = await startShadow(t, { budgetUsd: 1 });
    await chat(t, key, 'mirrored');
    await t.services.shadows.mirror.idle();
    const stopped = expectData(
      await t.gql(`mutation ($id: ID!) { stopShadowRoute(id: $id) { status stoppedAt } }`, { id: shadowId }),
    );
    expect(stopped.stopShadowRoute.status).toBe('stopped');
    await chat(t, key, 'not mirrored');
    await t.services.shadows.mirror.idle();
    expect(await results(t, shadowId)).toHaveLength(1);
    // The tenant sees its own shadow, never another scope's.
    const mine = expectData(await t.gql(LIST, {}, key)).shadowRoutes;
    expect(mine.map((s: { id: string }) => s.id)).toEqual([shadowId]);
    expectError(await t.gql(LIST, { tenantId: 'someone-else' }, key), 'FORBIDDEN');
  }, 60_000);
});
