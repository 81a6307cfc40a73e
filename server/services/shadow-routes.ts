import type { Logger } from 'pino';
import type { Database } from '../../drizzle/client.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import {
  MAX_SHADOW_TIMEOUT_MS,
  type ShadowComparison,
  type ShadowRoute,
  type ShadowStatus,
  type StartShadowInput,
} from '../../shared/contracts/shadow.js';
import type { Clock, DecisionSink, ProviderResolver, Random } from '../../shared/engine/ports.js';
import type { RedisConnections } from './redis.js';
import { createShadowMirror, type ShadowMirror } from './shadow-mirror.js';
import { createShadowStore, type ShadowStore } from './shadow-store.js';
import { createTableSync } from './table-sync.js';
import type { Principal, TenantStore } from './tenant-store.js';

export interface ShadowRoutesOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** Writes the audit entry of each start and stop (the tenant store's audit log). */
  audit: TenantStore['audit'];
  routes: ReadonlyMap<string, RouteSpec>;
  providers: ProviderResolver;
  /** The sink decisions go on to, unchanged (the privacy sink). */
  inner: DecisionSink;
  /** Draws the sample. Defaults to Math.random. */
  random?: Random;
  /** Tells the other instances of a start or stop at once; without it they read the table every `pollEveryMs`. */
  redis?: RedisConnections | undefined;
  /** Time between two reads of the running shadows without Redis, in milliseconds. Defaults to 1 000. */
  pollEveryMs?: number;
  /** Time between two reads while Redis is up (a safety net), in milliseconds. Defaults to 10 000. */
  pollWithRedisEveryMs?: number;
  /** Mirrored calls in flight at most on this instance. Defaults to 32. */
  maxInFlight?: number;
  /** Time between two sweeps of budget holds whose calls never settled, in milliseconds. Defaults to 60 000. */
  sweepEveryMs?: number;
}

/** A comparison with what only this instance counts. */
export interface ShadowComparisonView extends ShadowComparison {
  /** Sampled requests not mirrored because this instance already had `maxInFlight` mirrored calls running. */
  skippedBusy: number;
}

/** Shadow routes: stored definitions, the mirror that runs them, and their comparison. */
export interface ShadowRoutes {
  /** The decision sink to hand the engine: the inner sink, then the mirror. */
  readonly sink: DecisionSink;
  readonly mirror: ShadowMirror;
  list(filter?: { scopes?: string[]; status?: ShadowStatus }): Promise<ShadowRoute[]>;
  get(id: string): Promise<ShadowRoute | undefined>;
  comparisons(ids: readonly string[]): Promise<ShadowComparisonView[]>;
  /** Stores and audits a shadow (input already checked); it mirrors on every instance within about a second. */
  startShadow(actor: Principal | null, input: StartShadowInput): Promise<ShadowRoute>;
  /** Stops and audits a shadow; undefined when there is none with that id. */
  stopShadow(actor: Principal | null, id: string): Promise<ShadowRoute | undefined>;
  /** Reads the running shadows into memory; resolves after a read that began after the call. Never rejects. */
  reload(): Promise<void>;
  /**
   * Loads the running shadows, listens for changes made on other instances, starts polling, and sweeps budget holds
   * older than STALE_SHADOW_HOLD_MS (their process died, or their result could not be written).
   */
  load(): Promise<void>;
  /** Stops polling and mirroring; waits for the mirrored calls in flight, which it aborts. */
  close(): Promise<void>;
}

const CHANNEL = 'shadow-routes';
/** A hold this old belongs to a call that cannot still be running (no shadow call outlives its timeout). */
export const STALE_SHADOW_HOLD_MS = MAX_SHADOW_TIMEOUT_MS + 4 * 60_000;

/**
 * Shadow routes kept in step across instances as feature flags are: the running ones live in memory (the mirror
 * asks for them on every decision), a change is published on Redis (`<prefix>shadow-routes`), and the table is read
 * every second without Redis.
 * @example
 * const shadows = createShadowRoutes({ db, clock, logger, audit, routes, providers, inner: privacySink, redis });
 * await shadows.load(); createFallbackEngine({ ..., decisionSink: shadows.sink });
 */
export function createShadowRoutes(options: ShadowRoutesOptions): ShadowRoutes {
  const { clock, logger, redis } = options;
  const store: ShadowStore = createShadowStore(options.db, clock, options.audit);
  let active: readonly ShadowRoute[] = [];
  const mirror = createShadowMirror({
    inner: options.inner,
    ledger: store,
    active: () => active,
    routes: options.routes,
    providers: options.providers,
    clock,
    random: options.random ?? Math.random,
    logger,
    ...(options.maxInFlight !== undefined && { maxInFlight: options.maxInFlight }),
  });

  // The last snapshot keeps mirroring while the table cannot be read; the budget is checked in the database anyway.
  const sync = createTableSync({
    what: 'shadow routes',
    channel: CHANNEL,
    clock,
    logger,
    redis,
    load: async () => {
      active = await store.list({ status: 'running' });
    },
    ...(options.pollEveryMs !== undefined && { pollEveryMs: options.pollEveryMs }),
    ...(options.pollWithRedisEveryMs !== undefined && { pollWithRedisEveryMs: options.pollWithRedisEveryMs }),
  });
  const changed = () => sync.changed();

  // Any instance may sweep: a hold is deleted once, so two sweeps never give the same hold back twice.
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  let closed = false;
  let cancelSweep = () => undefined as void;
  const sweepLater = () => {
    if (closed) return;
    cancelSweep = clock.setTimeout(() => {
      store
        .sweep(new Date(clock.now() - STALE_SHADOW_HOLD_MS))
        .then((released) => {
          if (released > 0) logger.warn({ released }, 'released shadow budget holds whose calls never settled');
        })
        .catch((e: unknown) => logger.warn({ err: e }, 'shadow hold sweep failed; trying again later'))
        .finally(sweepLater);
    }, sweepEveryMs);
  };

  return {
    sink: mirror.sink,
    mirror,
    list: (filter) => store.list(filter),
    get: (id) => store.get(id),
    async comparisons(ids) {
      const found = await store.comparisons(ids);
      return found.map((c) => ({ ...c, skippedBusy: mirror.skippedBusy(c.shadowId) }));
    },
    async startShadow(actor, input) {
      const shadow = await store.start(actor, input);
      await changed();
      logger.info({ shadowId: shadow.id, scope: shadow.scope, routeId: shadow.routeId }, 'shadow route started');
      return shadow;
    },
    async stopShadow(actor, id) {
      const shadow = await store.stop(actor, id);
      if (shadow) await changed();
      return shadow;
    },
    reload: sync.reload,
    async load() {
      await sync.start();
      sweepLater();
    },
    async close() {
      closed = true;
      cancelSweep();
      sync.close();
      await mirror.close();
    },
  };
}
