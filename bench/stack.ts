import { request } from 'undici';
import type { BenchDatabase } from './databases.js';
import {
  startBackstopProcess,
  startBareProxyProcess,
  startSimulatorProcess,
  type BackstopProcess,
  type BackstopProcessOptions,
  type BareProxyProcess,
  type SimulatorProcess,
  type SimulatorProcessOptions,
} from './processes.js';

/** The tenant whose key the load generator uses; it gets a large budget so that every request reserves and settles. */
export const BENCH_TENANT = 'bench';

/** Monthly budget of the bench tenant, in USD: never reached, but reservations run on every request. */
const BENCH_BUDGET_USD = 1_000_000;

/** A route's breaker as GraphQL reports it. */
export interface BreakerView {
  state: 'closed' | 'open' | 'half_open';
  requests: number;
  errorRate: number;
}

/** One simulator process, and Backstop and a bare Node proxy in front of it, with the bench tenant, key and budget set up. */
export interface BenchStack {
  database: BenchDatabase;
  backstop: BackstopProcess;
  /** A bare Node proxy in front of the same simulator: the floor that the latency and throughput rows are read against. */
  bareProxy: BareProxyProcess;
  /** The current simulator process (replaced by `restartSimulator`). */
  simulator(): SimulatorProcess;
  /** A tenant key of the bench tenant. */
  key: string;
  /** Runs a GraphQL operation (as admin unless `key` is given); throws on GraphQL errors. */
  graphql<T>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T>;
  breaker(routeId: string): Promise<BreakerView>;
  /** Decisions buffered in Backstop and not yet written (`/readyz`). */
  decisionBacklog(): Promise<number>;
  /** Waits (at most `maxMs`, default 3 000) until Backstop has written every buffered decision. */
  settle(maxMs?: number): Promise<void>;
  /** The bench tenant's spend this month, in USD (proof that budgets ran). */
  budgetSpentUsd(): Promise<number>;
  /** Replaces the simulator process with one started with `options`, on the same port (Backstop keeps its config). */
  restartSimulator(options: SimulatorProcessOptions): Promise<void>;
  stop(): Promise<void>;
}

async function graphqlAt<T>(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await request(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.body.json()) as { data?: T; errors?: { message: string }[] };
  if (json.errors?.length || !json.data) {
    throw new Error(`GraphQL failed (status=${res.statusCode}): ${JSON.stringify(json.errors ?? json)}`);
  }
  return json.data;
}

/**
 * Starts the simulator (zero-delay unless told otherwise), then Backstop on `database` (the working tree's build unless
 * `backstopOptions` names another) and the bare proxy, then creates the bench tenant, its key and its budget through
 * the admin GraphQL API.
 * @example const stack = await startStack(await createPgliteDatabase()); ...; await stack.stop();
 */
export async function startStack(
  database: BenchDatabase,
  simulatorOptions: SimulatorProcessOptions = { zeroDelay: true },
  backstopOptions: BackstopProcessOptions = {},
): Promise<BenchStack> {
  let simulator = await startSimulatorProcess(simulatorOptions);
  let backstop: BackstopProcess;
  let bareProxy: BareProxyProcess;
  try {
    backstop = await startBackstopProcess(simulator.url, database, backstopOptions);
  } catch (e) {
    await simulator.handle.stop();
    throw e;
  }
  try {
    bareProxy = await startBareProxyProcess(simulator.url);
  } catch (e) {
    await backstop.handle.stop();
    await simulator.handle.stop();
    throw e;
  }
  const graphql = <T>(query: string, variables?: Record<string, unknown>, key = backstop.adminKey) =>
    graphqlAt<T>(backstop.url, key, query, variables);

  const decisionBacklog = async () => {
    const res = await request(`${backstop.url}/readyz`);
    return ((await res.body.json()) as { decisionBuffer?: number }).decisionBuffer ?? NaN;
  };

  await graphql(`mutation { createTenant(input: { id: "${BENCH_TENANT}", name: "Bench" }) { id } }`);
  const { createApiKey } = await graphql<{ createApiKey: { key: string } }>(
    `mutation { createApiKey(role: tenant, tenantId: "${BENCH_TENANT}", name: "bench load") { key } }`,
  );
  await graphql(
    `mutation { setBudget(tenantId: "${BENCH_TENANT}", input: { monthlyLimitUsd: ${BENCH_BUDGET_USD} }) { tenantId } }`,
  );

  return {
    database,
    backstop,
    bareProxy,
    simulator: () => simulator,
    key: createApiKey.key,
    graphql,
    async breaker(routeId) {
      const data = await graphql<{ route: { breaker: BreakerView } }>(
        `
          query ($id: ID!) {
            route(id: $id) {
              breaker {
                state
                requests
                errorRate
              }
            }
          }
        `,
        { id: routeId },
      );
      return data.route.breaker;
    },
    decisionBacklog,
    async settle(maxMs = 3_000) {
      const deadline = performance.now() + maxMs;
      while ((await decisionBacklog()) > 0 && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async budgetSpentUsd() {
      const data = await graphql<{ budget: { spentUsd: number; reservedUsd: number } | null }>(
        `query { budget(tenantId: "${BENCH_TENANT}") { spentUsd reservedUsd } }`,
      );
      return data.budget?.spentUsd ?? NaN;
    },
    async restartSimulator(options) {
      const port = simulator.port;
      await simulator.handle.stop();
      simulator = await startSimulatorProcess({ ...options, port });
    },
    async stop() {
      await bareProxy.handle.stop();
      await backstop.handle.stop();
      await simulator.handle.stop();
    },
  };
}
