import { randomUUID } from 'node:crypto';
import { CompletionRequestSchema } from '../shared/contracts/completion.js';
import { DEFAULT_ROUTES } from '../shared/engine/default-routes.js';
import { ProviderError } from '../shared/engine/errors.js';
import { createFallbackEngine } from '../shared/engine/fallback-engine.js';
import { createMemoryBudgetStore } from '../shared/engine/memory-budget-store.js';
import { createMemoryResponseCache } from '../shared/engine/memory-response-cache.js';
import { createDefaultPolicy } from '../shared/engine/policy-matrix.js';
import type { ProviderAdapter } from '../shared/engine/ports.js';
import { systemClock } from '../server/system-clock.js';

export interface EngineBenchRow {
  case: string;
  opsPerSec: number;
  usPerOp: number;
  /** Microseconds added over the empty async call of the same run. */
  overheadUs: number;
  ratioToBaseline: number;
}

const ok = {
  content: 'Paris.',
  toolCalls: [],
  finishReason: 'stop' as const,
  usage: { inputTokens: 12, outputTokens: 3 },
};

/** Decisions per second and per-request engine overhead, against an empty async call timed in the same run. */
export async function benchEngine(options: { rounds?: number; perRound?: number } = {}): Promise<EngineBenchRow[]> {
  const rounds = options.rounds ?? 7;
  const perRound = options.perRound ?? 5_000;
  const { policy, routes } = createDefaultPolicy(DEFAULT_ROUTES);
  const healthy: ProviderAdapter = { complete: async () => ok };
  const primaryDown: ProviderAdapter = {
    complete: async (call) => {
      if (call.route.id === 'gpt-4o') throw new ProviderError({ kind: 'auth', message: 'bad key' });
      return ok;
    },
  };
  const makeEngine = (adapter: ProviderAdapter) =>
    createFallbackEngine({
      clock: systemClock,
      random: Math.random,
      newId: randomUUID,
      routes,
      providers: () => adapter,
      // The real configuration: budgets, cache and a decision sink are on.
      budgetStore: createMemoryBudgetStore({
        clock: systemClock,
        settings: {
          t1: { monthlyLimitUsd: 1e9, prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: null },
        },
      }),
      cache: createMemoryResponseCache({ clock: systemClock, maxEntries: 1_000 }),
      decisionSink: { record: () => undefined },
    });
  const request = CompletionRequestSchema.parse({
    trafficClass: 'critical',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
  });
  const engines = { healthy: makeEngine(healthy), fallback: makeEngine(primaryDown) };
  const empty = async () => ok;

  const cases: Record<string, () => Promise<unknown>> = {
    'empty async call (baseline)': () => empty(),
    'healthy primary': () => engines.healthy.complete({ tenantId: 't1', policy, request }),
    '2-tier fallback (primary auth error)': () => engines.fallback.complete({ tenantId: 't1', policy, request }),
  };
  const samples = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) for (let i = 0; i < 2_000; i++) await fn(); // warm-up (JIT)
  // Interleaved rounds so that drift (GC, CPU frequency) hits every case alike.
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) await fn();
      samples.get(name)!.push(Number(process.hrtime.bigint() - t0) / 1_000 / perRound);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseUs = median(samples.get('empty async call (baseline)')!);
  return [...samples].map(([name, xs]) => {
    const us = median(xs);
    return {
      case: name,
      opsPerSec: Math.round(1e6 / us),
      usPerOp: us,
      overheadUs: us - baseUs,
      ratioToBaseline: us / baseUs,
    };
  });
}
