import type { Logger } from 'pino';
import type { Database } from '../../drizzle/client.js';
import { featureFlags } from '../../drizzle/schema/index.js';
import type { TrafficClass } from '../../shared/contracts/policy.js';
import type { Clock, RouteSwitch } from '../../shared/engine/ports.js';
import type { RedisConnections } from './redis.js';
import { createTableSync } from './table-sync.js';
import type { Principal, TenantStore } from './tenant-store.js';

/** Tier indexes a tier flag may name: the primary and the two fallbacks of the policy matrix (0, 1, 2). */
export const SWITCHABLE_TIERS = 3;

/** What a flag switches: one route, or one tier of the class policies for one traffic class (null: all classes). */
export type FlagSubject =
  { scope: 'route'; routeId: string } | { scope: 'tier'; tier: number; trafficClass: TrafficClass | null };

/** One stored switch. A route or tier without a flag is on. */
export interface FeatureFlag {
  /** `route:<routeId>`, `tier:<n>` (every class) or `tier:<n>:<trafficClass>`. */
  id: string;
  scope: FlagSubject['scope'];
  routeId: string | null;
  tier: number | null;
  trafficClass: TrafficClass | null;
  enabled: boolean;
  reason: string;
  /** The API key id that made the change; null for the system. */
  updatedBy: string | null;
  updatedAt: Date;
}

export interface FeatureFlagsOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** Writes the audit entry of each change (the tenant store's audit log). */
  audit: TenantStore['audit'];
  /** Tells the other instances of a change at once; without it they read the table every `pollEveryMs`. */
  redis?: RedisConnections | undefined;
  /** Time between two reads of the table while no Redis carries changes, in milliseconds. Defaults to 1 000. */
  pollEveryMs?: number;
  /** Time between two reads while Redis is up, a safety net for a lost message, in milliseconds. Defaults to 10 000. */
  pollWithRedisEveryMs?: number;
}

/** Switches for routes and tiers, held in memory for the engine and kept in step with every instance. */
export interface FeatureFlags {
  /** The engine's port: answers from the in-memory snapshot, never from the database. */
  readonly routeSwitch: RouteSwitch;
  /** Every flag this instance applies now, route flags first. */
  list(): FeatureFlag[];
  /** Stores a switch (replacing the subject's flag), applies it here at once, tells the other instances, audits it. */
  set(actor: Principal | null, subject: FlagSubject, enabled: boolean, reason: string): Promise<FeatureFlag>;
  /** Reads the table into the snapshot; resolves after a read that began after the call. Never rejects. */
  reload(): Promise<void>;
  /** Loads the flags, listens for changes made on other instances and starts polling. */
  start(): Promise<void>;
  /** Stops polling and listening. */
  close(): void;
}

const CHANNEL = 'feature-flags';

/** The flag id of a subject, also the table's primary key. */
export function flagId(subject: FlagSubject): string {
  if (subject.scope === 'route') return `route:${subject.routeId}`;
  return `tier:${subject.tier}${subject.trafficClass ? `:${subject.trafficClass}` : ''}`;
}

const toFlag = (row: typeof featureFlags.$inferSelect): FeatureFlag => ({
  id: row.id,
  scope: row.scope,
  routeId: row.routeId,
  tier: row.tier,
  trafficClass: row.trafficClass as TrafficClass | null,
  enabled: row.enabled,
  reason: row.reason,
  updatedBy: row.updatedBy,
  updatedAt: row.updatedAt,
});

/**
 * Feature flags for routes and tiers (`feature_flags` table). The engine reads a snapshot in memory, so a request
 * pays no database round trip. A change is written, applied on this instance at once and published on Redis
 * (`<prefix>feature-flags`), on which the other instances read the table again; without Redis (or while it is
 * unreachable) every instance reads the table every second, so a change reaches all of them within about a second.
 * @example
 * const flags = createFeatureFlags({ db, clock, logger, audit: tenants.audit, redis }); await flags.start();
 * createFallbackEngine({ ..., routeSwitch: flags.routeSwitch });
 */
export function createFeatureFlags(options: FeatureFlagsOptions): FeatureFlags {
  const { db, clock, logger } = options;
  let flags = new Map<string, FeatureFlag>();
  let anyOff = false;
  let loaded = false;

  const apply = (next: Map<string, FeatureFlag>) => {
    if (loaded) {
      for (const [id, flag] of next) {
        if (flags.get(id)?.enabled !== flag.enabled) {
          logger.info({ flag: id, enabled: flag.enabled, by: flag.updatedBy }, 'feature flag applied');
        }
      }
    }
    flags = next;
    anyOff = [...next.values()].some((f) => !f.enabled);
    loaded = true;
  };

  const sync = createTableSync({
    what: 'feature flags',
    channel: CHANNEL,
    clock,
    logger,
    redis: options.redis,
    load: async () => {
      const rows = await db.select().from(featureFlags);
      apply(new Map(rows.map((r) => [r.id, toFlag(r)])));
    },
    ...(options.pollEveryMs !== undefined && { pollEveryMs: options.pollEveryMs }),
    ...(options.pollWithRedisEveryMs !== undefined && { pollWithRedisEveryMs: options.pollWithRedisEveryMs }),
  });

  const routeSwitch: RouteSwitch = {
    isEnabled(route, tier, trafficClass) {
      if (!anyOff) return true;
      if (flags.get(flagId({ scope: 'route', routeId: route.id }))?.enabled === false) return false;
      // A flag for the class wins over the one for every class, so a tier can be off for all but one class.
      const tierFlag =
        flags.get(flagId({ scope: 'tier', tier, trafficClass })) ??
        flags.get(flagId({ scope: 'tier', tier, trafficClass: null }));
      return tierFlag?.enabled ?? true;
    },
  };

  return {
    routeSwitch,

    list() {
      return [...flags.values()].sort(
        (a, b) => Number(a.scope === 'tier') - Number(b.scope === 'tier') || a.id.localeCompare(b.id),
      );
    },

    async set(actor, subject, enabled, reason) {
      const id = flagId(subject);
      const values = {
        scope: subject.scope,
        routeId: subject.scope === 'route' ? subject.routeId : null,
        tier: subject.scope === 'tier' ? subject.tier : null,
        trafficClass: subject.scope === 'tier' ? subject.trafficClass : null,
        enabled,
        reason,
        updatedBy: actor?.keyId ?? null,
        updatedAt: new Date(clock.now()),
      };
      const [row] = await db
        .insert(featureFlags)
        .values({ id, ...values })
        .onConflictDoUpdate({ target: featureFlags.id, set: values })
        .returning();
      const flag = toFlag(row!);
      // A read of the table that began before this write must not undo it here.
      await sync.settled();
      apply(new Map(flags).set(id, flag));
      sync.announce();
      await options.audit(actor, enabled ? 'feature_flag.enabled' : 'feature_flag.disabled', id, null, { reason });
      return flag;
    },

    reload: sync.reload,
    start: sync.start,
    close: sync.close,
  };
}
