import type { BudgetSettings } from '../contracts/budget.js';
import { CompletionRequestSchema, type CompletionRequestInput } from '../contracts/completion.js';
import type { Decision } from '../contracts/decision.js';
import type { Policy, PolicyInput } from '../contracts/policy.js';
import { DEFAULT_ROUTES } from '../engine/default-routes.js';
import { isBackstopError, type BackstopError } from '../engine/errors.js';
import { createFallbackEngine, type FallbackEngineOptions } from '../engine/fallback-engine.js';
import { createMemoryBudgetStore } from '../engine/memory-budget-store.js';
import { createMemoryResponseCache } from '../engine/memory-response-cache.js';
import { assertPolicy, createRouteCatalog, DEFAULT_POLICY } from '../engine/policy-matrix.js';
import { createFakeClock } from './fake-clock.js';
import { createFakeProviders } from './fake-provider.js';
import { createMemoryWorkQueue } from './memory-work-queue.js';
import { createSeededRandom } from './seeded-random.js';

export interface HarnessOptions {
  /** Changes applied to the default policy before it is validated. */
  policy?: (p: PolicyInput) => PolicyInput;
  budgets?: Record<string, BudgetSettings>;
  seed?: number;
  engine?: Partial<FallbackEngineOptions>;
}

/** The engine wired to fakes: fake clock, scripted providers, in-memory stores, and a decision list. */
export function createEngineHarness(options: HarnessOptions = {}) {
  const clock = createFakeClock();
  const providers = createFakeProviders(clock);
  const routes = createRouteCatalog(DEFAULT_ROUTES);
  const base = structuredClone(DEFAULT_POLICY);
  const policy: Policy = assertPolicy(options.policy ? options.policy(base) : base, routes);
  const budgetStore = createMemoryBudgetStore({ clock, settings: options.budgets ?? {} });
  const cache = createMemoryResponseCache({ clock });
  const workQueue = createMemoryWorkQueue();
  const decisions: Decision[] = [];
  let n = 0;
  const engine = createFallbackEngine({
    clock,
    random: createSeededRandom(options.seed ?? 42),
    newId: () => `id-${++n}`,
    routes,
    providers: providers.resolve,
    budgetStore,
    cache,
    workQueue,
    decisionSink: { record: (d) => decisions.push(d) },
    ...options.engine,
  });
  const run = (request: CompletionRequestInput, extra: { tenantId?: string; signal?: AbortSignal } = {}) =>
    clock.run(
      engine.complete({
        tenantId: extra.tenantId ?? 't1',
        policy,
        request: CompletionRequestSchema.parse(request),
        ...(extra.signal && { signal: extra.signal }),
      }),
    );
  return { clock, providers, routes, policy, budgetStore, cache, workQueue, decisions, engine, run };
}

export const ask = (
  trafficClass: CompletionRequestInput['trafficClass'],
  extra: Partial<CompletionRequestInput> = {},
) => ({
  trafficClass,
  messages: [{ role: 'user' as const, content: 'What is the capital of France?' }],
  ...extra,
});

/** Awaits a promise expected to reject with a BackstopError and returns that error (fails the test otherwise). */
export async function rejection(p: Promise<unknown>): Promise<BackstopError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBackstopError(error)) throw new Error(`expected a BackstopError, got ${String(error)}`);
  return error;
}

/** Budget settings with a monthly limit and nothing else, unless `over` says otherwise. */
export const budgetSettings = (monthlyLimitUsd: number, over: Partial<BudgetSettings> = {}): BudgetSettings => ({
  monthlyLimitUsd,
  prepaidBalanceUsd: null,
  dailyLimitUsd: null,
  retryBudgetPerDay: null,
  ...over,
});

/** Subscribes a listener that keeps every event it gets, and returns the list it fills. */
export const collect = <T>(subscribe: (listener: (e: T) => void) => unknown): T[] => {
  const seen: T[] = [];
  subscribe((e) => seen.push(e));
  return seen;
};
