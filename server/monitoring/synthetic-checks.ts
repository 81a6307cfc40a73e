import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RouteSpec } from '../../shared/contracts/route.js';
import { callRoute } from '../../shared/engine/attempt.js';
import type { CircuitBreakers } from '../../shared/engine/circuit-breaker.js';
import { FAILURE_RULES } from '../../shared/engine/failure-kinds.js';
import type { Clock, ProviderResolver, Random } from '../../shared/engine/ports.js';
import type { LiveAggregates } from '../../shared/monitoring/live-aggregates.js';

/** The last probe of one route. */
export interface SyntheticResult {
  routeId: string;
  ok: boolean;
  /** Time the probe took, in milliseconds. */
  latencyMs: number;
  /** The failure kind and message; null when ok. */
  error: string | null;
  /** When the probe finished, in epoch milliseconds. */
  checkedAtMs: number;
}

export interface SyntheticCheckOptions {
  routes: ReadonlyMap<string, RouteSpec>;
  providers: ProviderResolver;
  breakers: Pick<CircuitBreakers, 'check' | 'record'>;
  live: Pick<LiveAggregates, 'recordSynthetic'>;
  clock: Clock;
  logger: Logger;
  /** Time between two rounds, in milliseconds, jittered by ±`jitter`. Defaults to 60 000. */
  everyMs?: number;
  /** Fraction of `everyMs` a round may move either way, so gateways do not probe in lockstep. Defaults to 0.1. */
  jitter?: number;
  /** Time one probe may take, in milliseconds. Defaults to 10 000. */
  timeoutMs?: number;
  random?: Random;
}

/** Periodic probes of every route, outside the engine and budgets. */
export interface SyntheticChecks {
  /** Probes every route once, now, in parallel; resolves when every probe has ended. */
  runOnce(): Promise<SyntheticResult[]>;
  result(routeId: string): SyntheticResult | undefined;
  results(): SyntheticResult[];
  start(): void;
  /** Stops the schedule and aborts probes in flight. */
  stop(): Promise<void>;
}

// A few tokens of a fixed prompt: enough to prove the route answers, cheap enough to send every minute.
const PROBE = [{ role: 'user' as const, content: 'Reply with the single word: ok' }];
// Any answer proves the route is up; a probe's answer is never shown, so quality guards do not apply.
const NO_GUARDS = { nonEmpty: false, rejectTruncated: false, rejectRefusal: false };

/**
 * Synthetic checks: a tiny completion per route straight through its provider adapter, every `everyMs` (±10%).
 * Each result feeds the live aggregates (failure streaks for `synthetic_failures` rules) and the route's breaker, so a
 * dead route is noticed, and its breaker opens, without user traffic. A probe only reaches the breaker when the breaker
 * lets a call through (`check`), so an open breaker's half-open probe can be a synthetic one and close it again.
 * @example const checks = createSyntheticChecks({ routes, providers, breakers, live, clock, logger }); checks.start();
 */
export function createSyntheticChecks(options: SyntheticCheckOptions): SyntheticChecks {
  const { routes, breakers, live, clock, logger } = options;
  const everyMs = options.everyMs ?? 60_000;
  const jitter = options.jitter ?? 0.1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const last = new Map<string, SyntheticResult>();
  let abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();
  let stopped = true;

  const probe = async (route: RouteSpec): Promise<SyntheticResult> => {
    const { allowed } = await breakers.check(route);
    const outcome = await callRoute(
      { clock, providers: options.providers },
      { route, messages: PROBE, params: { maxTokens: 5, temperature: 0 }, requestId: `synthetic-${randomUUID()}` },
      { timeoutMs, signal: abort.signal, quality: NO_GUARDS },
    );
    const ok = outcome.ok;
    const failure = outcome.ok ? undefined : outcome.failure;
    // An abort at shutdown says nothing about the route.
    if (failure?.kind === 'aborted') {
      if (allowed) await breakers.record(route, { ok: false, countsForHealth: false, latencyMs: outcome.latencyMs });
      return { routeId: route.id, ok, latencyMs: outcome.latencyMs, error: 'aborted', checkedAtMs: clock.now() };
    }
    if (allowed) {
      const countsForHealth = ok || FAILURE_RULES[failure!.kind].health;
      await breakers.record(route, { ok, countsForHealth, latencyMs: outcome.latencyMs });
    }
    live.recordSynthetic(route.id, ok, outcome.latencyMs);
    const result: SyntheticResult = {
      routeId: route.id,
      ok,
      latencyMs: outcome.latencyMs,
      error: failure ? `${failure.kind}: ${failure.message}` : null,
      checkedAtMs: clock.now(),
    };
    last.set(route.id, result);
    if (!ok) logger.warn({ route: route.id, error: result.error }, 'synthetic check failed');
    return result;
  };

  const runOnce = async () => {
    const results = await Promise.all(
      [...routes.values()].map((r) =>
        probe(r).catch((e: unknown) => {
          // A breaker store that is away must not stop the other probes or the schedule.
          logger.warn({ route: r.id, err: e }, 'synthetic check could not run');
          return undefined;
        }),
      ),
    );
    return results.filter((r): r is SyntheticResult => r !== undefined);
  };

  const schedule = () => {
    if (stopped) return;
    const delay = Math.max(1, Math.round(everyMs * (1 + (random() * 2 - 1) * jitter)));
    timer = setTimeout(() => {
      round = runOnce().finally(schedule);
    }, delay);
    // Probes must not keep the process alive; shutdown calls stop() anyway.
    timer.unref();
  };

  return {
    runOnce,
    result: (routeId) => last.get(routeId),
    results: () => [...last.values()],
    start() {
      if (!stopped) return;
      stopped = false;
      abort = new AbortController();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort();
      await round.catch(() => undefined);
    },
  };
}
