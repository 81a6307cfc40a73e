import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema } from '../contracts/completion.js';
import type { FailureKind } from '../contracts/decision.js';
import type { TrafficClass } from '../contracts/policy.js';
import { ask, createEngineHarness } from '../testing/engine-harness.js';
import type { Step } from '../testing/fake-provider.js';
import { isBackstopError } from './errors.js';

// Kinds that never end a request by themselves (stop kinds are covered by example tests).
const MOVABLE: FailureKind[] = [
  'timeout',
  'rate_limited',
  'server_error',
  'overloaded',
  'network',
  'stream_interrupted',
  'auth',
  'quota_exhausted',
  'not_found',
  'unsupported',
  'unknown',
];

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ fail: fc.constantFrom(...MOVABLE), delayMs: fc.integer({ min: 0, max: 3_000 }) }),
  fc.record({
    fail: fc.record({
      kind: fc.constant<FailureKind>('rate_limited'),
      message: fc.constant('429'),
      retryAfterMs: fc.integer({ min: 0, max: 40_000 }),
    }),
  }),
  fc.record({ answer: fc.constant(''), delayMs: fc.integer({ min: 0, max: 500 }) }),
  fc.record({ hang: fc.constant(true as const) }),
);

const ROUTE_TIERS: Record<'critical' | 'non_critical' | 'internal', string[][]> = {
  critical: [['gpt-4o'], ['claude-sonnet-4'], ['gpt-4o-mini']],
  non_critical: [['claude-3-5-haiku'], ['gpt-4.1-mini']],
  internal: [['gpt-4.1-nano'], ['gemini-2.0-flash']],
};

describe('engine invariants under random failure sequences', () => {
  it('never exceeds retry caps, retry time or deadline, and reaches a healthy tier when one exists', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<keyof typeof ROUTE_TIERS>('critical', 'non_critical', 'internal'),
        fc.nat(),
        fc.array(fc.array(stepArb, { maxLength: 6 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 }),
        async (cls, seed, scripts, healthyPick) => {
          const tiers = ROUTE_TIERS[cls];
          const healthy = healthyPick % tiers.length;
          const h = createEngineHarness({ seed });
          tiers.forEach(([route], t) => {
            if (t === healthy) h.providers.always(route!, {});
            else {
              h.providers.script(route!, ...scripts[t]!);
              h.providers.always(route!, scripts[t]![0] ?? { fail: 'server_error' });
            }
          });
          const classPolicy = h.policy.classes[cls as TrafficClass];
          const started = h.clock.now();
          const result = await h.run(ask(cls)).catch((e: unknown) => e);
          const decision = h.decisions[0]!;

          expect(h.clock.now() - started).toBeLessThanOrEqual(classPolicy.deadlineMs);
          const byRoute = new Map<string, number>();
          for (const a of decision.attempts) if (a.retry > 0) byRoute.set(a.routeId, (byRoute.get(a.routeId) ?? 0) + 1);
          for (const n of byRoute.values()) expect(n).toBeLessThanOrEqual(classPolicy.retry.maxRetriesPerRoute);
          expect(decision.attempts.filter((a) => a.retry > 0).length).toBeLessThanOrEqual(
            classPolicy.retry.maxRetriesPerTier * tiers.length,
          );
          // Calls are bounded by routes x (1 + retries per route).
          expect(h.providers.calls.length).toBeLessThanOrEqual(
            tiers.length * (1 + classPolicy.retry.maxRetriesPerRoute),
          );

          // A healthy tier is reached unless hangs used up the deadline first.
          const hangs = decision.attempts.filter((a) => a.failureKind === 'timeout' && a.latencyMs >= 8_000).length;
          if (hangs === 0) {
            expect(isBackstopError(result)).toBe(false);
            expect(result).toMatchObject({ status: 'answered', source: 'provider' });
            expect((result as { tier: number }).tier).toBeLessThanOrEqual(healthy);
          } else if (isBackstopError(result)) {
            expect(['DEADLINE_EXCEEDED', 'ALL_TIERS_FAILED']).toContain(result.code);
          }
        },
      ),
      { numRuns: 150, seed: 20261122 },
    );
  });

  it('never lets concurrent requests spend past a tenant budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 1, max: 4_000 }), { minLength: 1, maxLength: 30 }),
        async (limitMilliUsd, concurrency, outputTokens) => {
          const limit = limitMilliUsd / 1000;
          const h = createEngineHarness({
            budgets: {
              t1: { monthlyLimitUsd: limit, prepaidBalanceUsd: null, dailyLimitUsd: null, retryBudgetPerDay: null },
            },
          });
          outputTokens.forEach((n) =>
            h.providers.script('gpt-4o', { result: { usage: { inputTokens: 50, outputTokens: n } } }),
          );
          const requests = Array.from({ length: concurrency }, () =>
            h.engine.complete({
              tenantId: 't1',
              policy: h.policy,
              request: CompletionRequestSchema.parse({ ...ask('critical'), params: { maxTokens: 4_000 } }),
            }),
          );
          await h.clock.run(Promise.allSettled(requests));
          const snap = await h.budgetStore.snapshot('t1');
          expect(snap!.spentUsd).toBeLessThanOrEqual(limit + 1e-9);
          expect(snap!.reservedUsd).toBeCloseTo(0, 12);
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });
});
