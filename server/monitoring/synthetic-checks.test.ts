import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RouteSpecSchema, type RouteSpec } from '../../shared/contracts/route.js';
import { createCircuitBreakers } from '../../shared/engine/circuit-breaker.js';
import { ProviderError } from '../../shared/engine/errors.js';
import { createMemoryBreakerStore } from '../../shared/engine/memory-breaker-store.js';
import type { FailureKind } from '../../shared/contracts/decision.js';
import type { ProviderAdapter } from '../../shared/engine/ports.js';
import { createLiveAggregates } from '../../shared/monitoring/live-aggregates.js';
import { systemClock } from '../system-clock.js';
import { createSyntheticChecks } from './synthetic-checks.js';

const route = (id: string): RouteSpec => RouteSpecSchema.parse({ id, provider: id, model: id });
const routes = new Map([route('a'), route('b')].map((r) => [r.id, r]));

/** Per-route behaviour: answer, or fail with a kind. Counts calls. */
function setup(behaviour: Record<string, FailureKind | 'ok'>) {
  const calls: string[] = [];
  const adapter = (id: string): ProviderAdapter => ({
    async complete() {
      calls.push(id);
      const b = behaviour[id] ?? 'ok';
      if (b !== 'ok') throw new ProviderError({ kind: b, message: `simulated ${b}` });
      return { content: 'ok', toolCalls: [], finishReason: 'length', usage: { inputTokens: 5, outputTokens: 1 } };
    },
  });
  const breakers = createCircuitBreakers({ store: createMemoryBreakerStore(), clock: systemClock });
  const live = createLiveAggregates({ clock: systemClock });
  const checks = createSyntheticChecks({
    routes,
    providers: (r) => adapter(r.id),
    breakers,
    live,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    everyMs: 1_000,
    random: () => 0,
  });
  return { calls, breakers, live, checks };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('synthetic checks', () => {
  it('probe every route each round, on a schedule jittered by up to 10%', async () => {
    const { calls, checks } = setup({});
    checks.start();
    // random() = 0 is the earliest a round may come: 10% before the interval.
    await vi.advanceTimersByTimeAsync(899);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.sort()).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(900);
    expect(calls).toHaveLength(4);
    expect(checks.result('a')).toMatchObject({ routeId: 'a', ok: true, error: null });
    await checks.stop();
  });

  it('stop ends the schedule: no probe after it', async () => {
    const { calls, checks } = setup({});
    checks.start();
    await vi.advanceTimersByTimeAsync(900);
    await checks.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('open the breaker of a dead route and count its failure streak', async () => {
    const { breakers, live, checks } = setup({ a: 'server_error' });
    for (let i = 0; i < 5; i++) await checks.runOnce();
    expect((await breakers.snapshot('a')).state).toBe('open');
    expect((await breakers.snapshot('b')).state).toBe('closed');
    expect(live.syntheticFailuresInARow('a')).toBe(5);
    expect(checks.result('a')).toMatchObject({ ok: false, error: 'server_error: simulated server_error' });
  });

  it('leave the breaker alone for failures that say nothing about the route', async () => {
    const { breakers, checks } = setup({ a: 'bad_request' });
    for (let i = 0; i < 6; i++) await checks.runOnce();
    expect((await breakers.snapshot('a')).consecutiveFailures).toBe(0);
  });

  it('close an open breaker with a successful probe once its cooldown has passed', async () => {
    const behaviour: Record<string, FailureKind | 'ok'> = { a: 'server_error' };
    const { breakers, checks } = setup(behaviour);
    for (let i = 0; i < 5; i++) await checks.runOnce();
    behaviour.a = 'ok';
    // Inside the cooldown the breaker lets nothing through: the probe runs but is not fed to it.
    await checks.runOnce();
    expect((await breakers.snapshot('a')).state).toBe('open');
    vi.setSystemTime(Date.now() + 30_000);
    await checks.runOnce();
    expect((await breakers.snapshot('a')).state).toBe('closed');
  });
});
