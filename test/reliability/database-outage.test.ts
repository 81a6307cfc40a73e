import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../drizzle/client.js';
import { mountOpenAICompatible } from '../../server/http/openai-compatible.js';
import { startTestBackstop, type TestBackstop } from '../support/backstop.js';
import { createThrowawayPostgres, postgresAvailable } from '../support/databases.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// Postgres goes away under load (a cut TCP proxy between Backstop and the server): completions keep flowing on
// leased budget and buffered decision rows, and every row lands once the database is back.
const TENANT = 'outage-co';
const OUTAGE_MS = 3_000; // longer than a budget lease lives (2 s)
const OUTAGE_MAX_REQUESTS = 3_000;
const CONCURRENCY = 8;

describe.skipIf(!(await postgresAvailable()))('Postgres unreachable for a while under load', () => {
  let throwaway: Awaited<ReturnType<typeof createThrowawayPostgres>>;
  let proxy: TcpProxy;
  let database: DatabaseHandle;
  let direct: DatabaseHandle;
  let tb: TestBackstop;
  let key: string;

  beforeAll(async () => {
    throwaway = await createThrowawayPostgres();
    const target = new URL(throwaway.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(throwaway.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    database = await openDatabase({ url: viaProxy.toString(), poolSize: 10 });
    direct = await openDatabase({ url: throwaway.url, poolSize: 2 });
    tb = await startTestBackstop({ database, app: { mount: mountOpenAICompatible } });
    key = await tb.key('tenant', TENANT);
    const set = await tb.gql(
      `mutation { setBudget(tenantId: "${TENANT}", input: { monthlyLimitUsd: 1000 }) { tenantId } }`,
    );
    expect(set.errors).toBeUndefined();
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await tb?.close();
    await database?.close();
    await direct?.close();
    await proxy?.close();
    await throwaway?.drop();
  });

  const complete = async (i: number) => {
    const res = await tb.fetch('/v1/chat/completions', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content: `order status ${i}` }] }),
    });
    const text = await res.text();
    let body: { id?: string; error?: { message: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = { error: { message: `${res.status} ${text.slice(0, 200)}` } };
    }
    return { status: res.status, decisionId: res.headers.get('x-backstop-decision-id'), body };
  };
  /** Sends up to `count` requests CONCURRENCY at a time, stopping early after `forMs`. */
  const load = async (from: number, count: number, forMs = Infinity) => {
    const results: Awaited<ReturnType<typeof complete>>[] = [];
    const until = performance.now() + forMs;
    let next = from;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < from + count && performance.now() < until) results.push(await complete(next++));
      }),
    );
    return results;
  };
  /**
   * Flushes, trying again (at most three times) when a flush fails: a batch caught on a connection the cut left half
   * open is given up after the writer's 10 s write timeout, and its rows go back to the buffer for the next try.
   */
  const flushOnceBack = async (flush: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await flush();
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  };
  const rowsOf = async () => {
    const rows = (await direct.execute(`select id from decisions where tenant_id = '${TENANT}'`)) as { id: string }[];
    return new Set(rows.map((r) => r.id));
  };

  it('answers every request while the database is away and writes every decision row once it returns', async () => {
    const before = await load(0, 40);
    expect(before.filter((r) => r.status !== 200).map((r) => r.body.error?.message)).toEqual([]);
    await tb.services.decisions.flush();

    await proxy.cut();
    const during = await load(40, OUTAGE_MAX_REQUESTS, OUTAGE_MS);
    expect(during.length).toBeGreaterThan(100);
    const failed = during.filter((r) => r.status !== 200);
    expect(failed.map((r) => r.body.error?.message)).toEqual([]);
    expect(tb.services.decisions.bufferDepth()).toBeGreaterThan(0);

    await proxy.restore();
    await flushOnceBack(() => tb.services.decisions.flush());
    const rows = await rowsOf();
    const ids = [...before, ...during].map((r) => r.decisionId!);
    expect(ids.filter((id) => !rows.has(id))).toEqual([]);
    expect(rows.size).toBe(40 + during.length);
    expect(tb.services.decisions.droppedCount()).toBe(0);
  }, 120_000);

  it('charges the spend made during the outage once the database is back', async () => {
    await flushOnceBack(() => tb.services.decisions.flush());
    await tb.services.budgets.flush();
    const [spent] = (await direct.execute(
      `select coalesce(sum(amount_usd), 0)::float8 as usd from spend_ledger where tenant_id = '${TENANT}'`,
    )) as { usd: number }[];
    const [cost] = (await direct.execute(
      `select coalesce(sum(total_cost_usd), 0)::float8 as usd from decisions where tenant_id = '${TENANT}'`,
    )) as { usd: number }[];
    expect(cost!.usd).toBeGreaterThan(0);
    expect(spent!.usd).toBeCloseTo(cost!.usd, 6);
  }, 60_000);
});
