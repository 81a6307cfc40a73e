import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../drizzle/client.js';
import { rateLimits } from '../../drizzle/schema/index.js';
import type { CompletionRequest } from '../../shared/contracts/completion.js';
import type { Clock, RouteGate } from '../../shared/engine/ports.js';
import { estimateTokens } from '../../shared/engine/pricing.js';
import type { RateLimitsConfig } from '../config.js';
import type { RateLimitCounters } from './rate-limit-counters.js';
import type { RedisConnections } from './redis.js';

export const RATE_LIMIT_SCOPES = ['tenant', 'key', 'route'] as const;
/** What a limit applies to: a tenant id, an API key id or a route id. */
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];
export type RateLimitDimension = 'requests' | 'tokens';

/** The tenant id that stands for every tenant without a limit of its own (config `defaultTenant`). */
export const ANY_TENANT = '*';

/** Per-minute limits of one subject; null means no limit on that dimension. */
export interface RateLimitSettings {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/** One subject's limits as they apply now: from the config file, or set at runtime (which wins). */
export interface RateLimit extends RateLimitSettings {
  scope: RateLimitScope;
  id: string;
  source: 'config' | 'runtime';
}

/** Why a request was refused: the limit it would pass and how long until it fits, in milliseconds. */
export interface RateLimitRefusal {
  ok: false;
  scope: RateLimitScope;
  id: string;
  dimension: RateLimitDimension;
  limit: number;
  retryAfterMs: number;
}

/** What an admitted request holds: the token counters its output tokens are added to afterwards. */
export interface RateLimitTicket {
  tokens: { counter: string; id: string }[];
}

export interface RateLimitsOptions {
  db: Database;
  config: RateLimitsConfig;
  counters: RateLimitCounters;
  clock: Clock;
  logger: Logger;
  /** Tells other instances a limit changed, so they reload at once; without it they reload within `reloadEveryMs`. */
  redis?: RedisConnections | undefined;
  /** Longest time a runtime limit set on another instance takes to apply here, in milliseconds. Defaults to 10 000. */
  reloadEveryMs?: number;
}

interface Take {
  scope: RateLimitScope;
  id: string;
  dimension: RateLimitDimension;
  counter: string;
  points: number;
  limit: number;
}

const EMPTY_TICKET: RateLimitTicket = { tokens: [] };
const keyOf = (scope: RateLimitScope, id: string) => `${scope}\u0000${id}`;
const fromConfig = (s: { requestsPerMinute?: number; tokensPerMinute?: number }): RateLimitSettings => ({
  requestsPerMinute: s.requestsPerMinute ?? null,
  tokensPerMinute: s.tokensPerMinute ?? null,
});

/**
 * Requests and tokens per minute by tenant, API key and route. Limits come from the config file and from the
 * `rate_limits` table (runtime, wins), held in memory so that a request with no limit pays nothing; counts live in
 * `counters` (Redis when configured). `admit` runs before the engine; `routeGate` plugs route limits into it.
 */
export function createRateLimits(options: RateLimitsOptions) {
  const { db, config, counters, clock, logger, redis } = options;
  const reloadEveryMs = options.reloadEveryMs ?? 10_000;
  let runtime = new Map<string, RateLimit>();
  let loadedAtMs = -Infinity;
  let loading: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  const configEntries = (): RateLimit[] => {
    const entries = (scope: RateLimitScope, record: RateLimitsConfig['tenants']) =>
      Object.entries(record).map(([id, s]) => ({ scope, id, ...fromConfig(s), source: 'config' as const }));
    return [
      ...(config.defaultTenant
        ? [{ scope: 'tenant' as const, id: ANY_TENANT, ...fromConfig(config.defaultTenant), source: 'config' as const }]
        : []),
      ...entries('tenant', config.tenants),
      ...entries('key', config.keys),
      ...entries('route', config.routes),
    ];
  };
  const configured = new Map(configEntries().map((l) => [keyOf(l.scope, l.id), l]));

  const reload = (): Promise<void> => {
    loading ??= (async () => {
      try {
        const rows = await db.select().from(rateLimits);
        runtime = new Map(
          rows.map((r) => [
            keyOf(r.scope, r.subjectId),
            {
              scope: r.scope,
              id: r.subjectId,
              requestsPerMinute: r.requestsPerMinute,
              tokensPerMinute: r.tokensPerMinute,
              source: 'runtime' as const,
            },
          ]),
        );
        loadedAtMs = clock.now();
      } catch (e) {
        logger.warn({ err: e }, 'rate limits not reloaded; keeping the last ones');
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };

  /** The limits of one subject now. Never waits: a due reload runs in the background. */
  const limitOf = (scope: RateLimitScope, id: string): RateLimitSettings | undefined => {
    if (clock.now() - loadedAtMs >= reloadEveryMs) void reload();
    const own = runtime.get(keyOf(scope, id)) ?? configured.get(keyOf(scope, id));
    if (own || scope !== 'tenant') return own;
    return runtime.get(keyOf('tenant', ANY_TENANT)) ?? configured.get(keyOf('tenant', ANY_TENANT));
  };

  const takesFor = (scope: RateLimitScope, id: string, tokens: number): Take[] => {
    const limit = limitOf(scope, id);
    if (!limit) return [];
    const takes: Take[] = [];
    if (limit.requestsPerMinute !== null) {
      const counter = `${scope}:requests`;
      takes.push({ scope, id, dimension: 'requests', counter, points: 1, limit: limit.requestsPerMinute });
    }
    if (limit.tokensPerMinute !== null) {
      const counter = `${scope}:tokens`;
      takes.push({ scope, id, dimension: 'tokens', counter, points: tokens, limit: limit.tokensPerMinute });
    }
    return takes;
  };

  /** Takes every count at once; if one refuses, gives the others back and reports the longest wait. */
  const takeAll = async (takes: Take[]): Promise<RateLimitRefusal | undefined> => {
    const results = await Promise.all(takes.map((t) => counters.take(t.counter, t.id, t.points, t.limit)));
    let refusal: RateLimitRefusal | undefined;
    results.forEach((r, i) => {
      const t = takes[i]!;
      if (!r.ok && (!refusal || r.retryAfterMs > refusal.retryAfterMs)) {
        refusal = {
          ok: false,
          scope: t.scope,
          id: t.id,
          dimension: t.dimension,
          limit: t.limit,
          retryAfterMs: r.retryAfterMs,
        };
      }
    });
    if (refusal) {
      await Promise.all(takes.filter((_, i) => results[i]!.ok).map((t) => counters.give(t.counter, t.id, t.points)));
    }
    return refusal;
  };

  const notifyChanged = () => {
    if (redis?.status() === 'ok') redis.commands.publish(`${redis.prefix}rate-limits`, '1').catch(() => undefined);
  };

  const routeGate: RouteGate = {
    async admit(route, inputTokens) {
      const takes = takesFor('route', route.id, inputTokens);
      return takes.length === 0 || (await takeAll(takes)) === undefined;
    },
    record(route, usage) {
      const limit = limitOf('route', route.id);
      if (limit?.tokensPerMinute == null) return;
      void counters.add('route:tokens', route.id, usage.outputTokens);
    },
  };

  return {
    routeGate,

    /** Loads the runtime limits and listens for changes made on other instances. */
    async start(): Promise<void> {
      await reload();
      unsubscribe = redis?.subscribe('rate-limits', () => void reload());
    },

    close(): void {
      unsubscribe?.();
    },

    /**
     * Takes one request and the estimated input tokens from the tenant's and the key's limits, before the engine
     * runs. A refusal takes nothing; an admitted request's output tokens are added by `settle`.
     */
    async admit(input: {
      tenantId: string;
      keyId: string;
      request: CompletionRequest;
    }): Promise<{ ok: true; ticket: RateLimitTicket } | RateLimitRefusal> {
      const scopes = [
        ['tenant', input.tenantId],
        ['key', input.keyId],
      ] as const;
      // Estimated only when some token limit applies: the estimate walks the whole prompt.
      let tokens: number | undefined;
      const takes = scopes.flatMap(([scope, id]) => {
        const limit = limitOf(scope, id);
        if (limit?.tokensPerMinute != null) tokens ??= estimateTokens(input.request.messages);
        return takesFor(scope, id, tokens ?? 0);
      });
      if (takes.length === 0) return { ok: true, ticket: EMPTY_TICKET };
      const refusal = await takeAll(takes);
      if (refusal) return refusal;
      const tokenTakes = takes.filter((t) => t.dimension === 'tokens');
      return { ok: true, ticket: { tokens: tokenTakes.map(({ counter, id }) => ({ counter, id })) } };
    },

    /** Adds an answer's output tokens to the token limits the request was admitted under. Off the request path. */
    settle(ticket: RateLimitTicket, outputTokens: number): void {
      for (const t of ticket.tokens) void counters.add(t.counter, t.id, outputTokens);
    },

    /** Every limit in force: config entries, replaced by runtime ones for the same subject. */
    async list(): Promise<RateLimit[]> {
      await reload();
      const merged = new Map(configured);
      for (const [k, v] of runtime) merged.set(k, v);
      return [...merged.values()].sort(
        (a, b) => RATE_LIMIT_SCOPES.indexOf(a.scope) - RATE_LIMIT_SCOPES.indexOf(b.scope) || a.id.localeCompare(b.id),
      );
    },

    /** Sets a subject's limits at runtime, replacing its config entry; null means no limit on that dimension. */
    async set(scope: RateLimitScope, id: string, settings: RateLimitSettings): Promise<RateLimit> {
      const values = { ...settings, updatedAt: new Date(clock.now()) };
      await db
        .insert(rateLimits)
        .values({ scope, subjectId: id, ...values })
        .onConflictDoUpdate({ target: [rateLimits.scope, rateLimits.subjectId], set: values });
      const limit: RateLimit = { scope, id, ...settings, source: 'runtime' };
      // A reload that read the table before this write must not undo it here.
      await loading;
      runtime.set(keyOf(scope, id), limit);
      notifyChanged();
      return limit;
    },

    /** Drops a runtime limit, so the config file's entry (if any) applies again. False when there was none. */
    async clear(scope: RateLimitScope, id: string): Promise<boolean> {
      const rows = await db
        .delete(rateLimits)
        .where(and(eq(rateLimits.scope, scope), eq(rateLimits.subjectId, id)))
        .returning({ scope: rateLimits.scope });
      await loading;
      runtime.delete(keyOf(scope, id));
      notifyChanged();
      return rows.length > 0;
    },
  };
}
export type RateLimits = ReturnType<typeof createRateLimits>;
