import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayPostgres, postgresAvailable } from '../../support/databases.js';
import { TEST_REDIS_URL, dropRedisPrefix, redisAvailable, testRedisPrefix } from '../../support/redis.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { waitFor } from '../monitoring/support.js';

// Two real gateway processes on loopback sharing one Postgres database and one Redis, as docker-compose runs them.
// Each process has its own simulator, so a drill on A makes only A's upstream fail.
const ready = (await postgresAvailable()) && (await redisAvailable());
const ADMIN_KEY = 'bk_admin_two-processes-test-key-0123456789abcdef';

describe.skipIf(!ready)('two Backstop processes on one Postgres and one Redis', () => {
  const prefix = testRedisPrefix();
  let drop: () => Promise<void>;
  let a: ServerProcess;
  let b: ServerProcess;

  async function gql<T>(
    server: ServerProcess,
    query: string,
    variables: Record<string, unknown> = {},
    key = ADMIN_KEY,
  ) {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  }

  const chat = (server: ServerProcess, key: string, model = 'critical', maxTokens?: number) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'hello from the two-process test' }],
        ...(maxTokens && { max_tokens: maxTokens }),
      }),
    });

  async function tenantKey(tenantId: string): Promise<string> {
    await gql(a, 'mutation ($id: String!) { createTenant(input: { id: $id, name: $id }) { id } }', { id: tenantId });
    const made = await gql<{ createApiKey: { key: string } }>(
      a,
      'mutation ($t: ID!) { createApiKey(name: "t", role: tenant, tenantId: $t) { key } }',
      { t: tenantId },
    );
    return made.data!.createApiKey.key;
  }

  beforeAll(async () => {
    const db = await createThrowawayPostgres();
    drop = db.drop;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      BACKSTOP_REDIS_PREFIX: prefix,
      BACKSTOP_ALERT_EVALUATE_MS: '1000',
    };
    // Started together on an empty database: migrations run once under their lock.
    [a, b] = await Promise.all([
      startServerProcess(env, { adminKey: ADMIN_KEY }),
      startServerProcess(env, { adminKey: ADMIN_KEY }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await drop?.();
    await dropRedisPrefix(prefix);
  });

  it('opens the breaker on B, and tells a subscriber on B, when traffic fails on A', async () => {
    // Subscribe on B over SSE before anything fails.
    const controller = new AbortController();
    const stream = await fetch(`${b.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${ADMIN_KEY}`,
      },
      body: JSON.stringify({ query: 'subscription { alerts { ruleName subject state } }' }),
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    let received = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      const reader = stream.body!.getReader();
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read())
          received += decoder.decode(r.value, { stream: true });
      } catch {
        // aborted at the end of the test
      }
    })();

    const drill = await gql(
      a,
      'mutation ($p: JSON!) { startDrill(input: { routeId: "gpt-4o", profile: $p, durationSeconds: 60 }) { routeId } }',
      { p: { errorRates: { '500': 1 } } },
    );
    expect(drill.errors).toBeUndefined();
    for (let i = 0; i < 4; i++) expect((await chat(a, ADMIN_KEY)).status).toBe(200); // the fallback answers

    const state = await waitFor(
      'the breaker of gpt-4o to be open on B',
      async () => {
        const r = await gql<{ route: { breaker: { state: string } } }>(
          b,
          '{ route(id: "gpt-4o") { breaker { state } } }',
        );
        return r.data?.route.breaker.state === 'open' && 'open';
      },
      { timeoutMs: 5_000, everyMs: 50 },
    );
    expect(state).toBe('open');
    await waitFor('the breaker alert on B', async () => /route:gpt-4o[^]*fired|fired[^]*route:gpt-4o/.test(received), {
      timeoutMs: 15_000,
      everyMs: 100,
    });
    // B never called gpt-4o, yet skips it: its critical request is answered by the fallback without trying it.
    const onB = await gql<{ complete: { routeId: string; attempts: number } }>(
      b,
      'mutation { complete(input: { trafficClass: critical, messages: [{ role: user, content: "on B" }] }) { routeId attempts } }',
    );
    expect(onB.data!.complete.routeId).not.toBe('gpt-4o');
    controller.abort();
    await reading;
  });

  it('holds a per-tenant rate limit across both processes', async () => {
    const key = await tenantKey('limited');
    const set = await gql(a, 'mutation { setRateLimit(scope: tenant, id: "limited", requestsPerMinute: 4) { id } }');
    expect(set.errors).toBeUndefined();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await chat(i % 2 ? b : a, key, 'non_critical')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.slice(4)).toEqual([429, 429, 429, 429]);
  });

  it('never overspends a small budget under concurrent load on both processes', async () => {
    const key = await tenantKey('tight');
    const limit = 0.0005; // a handful of premium answers
    const set = await gql(
      a,
      'mutation ($l: Float!) { setBudget(tenantId: "tight", input: { monthlyLimitUsd: $l }) { tenantId } }',
      {
        l: limit,
      },
    );
    expect(set.errors).toBeUndefined();
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => chat(i % 2 ? b : a, key, 'non_critical', 16)),
    );
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 200 || r.status === 429 || r.status === 402)).toBe(true);
    const budget = await gql<{ budget: { spentUsd: number; reservedUsd: number } }>(
      b,
      '{ budget(tenantId: "tight") { spentUsd reservedUsd } }',
    );
    expect(budget.data!.budget.spentUsd).toBeGreaterThan(0);
    expect(budget.data!.budget.spentUsd).toBeLessThanOrEqual(limit);
    expect(budget.data!.budget.reservedUsd).toBe(0);
  });
});
