import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { createFallbackEngine, type FallbackEngine } from '../../shared/engine/fallback-engine.js';
import { EventEmitter } from '../../shared/engine/events.js';
import { createMemoryResponseCache } from '../../shared/engine/memory-response-cache.js';
import type { Clock, ProviderResolver } from '../../shared/engine/ports.js';
import type { BackstopConfig } from '../config.js';
import { createMonitoring, type Monitoring, type MonitoringOptions } from '../monitoring/monitoring.js';
import type { Simulator } from '../providers/simulator/server.js';
import { systemClock } from '../system-clock.js';
import { createCanaryGuard, type CanaryGuard } from './canary-guard.js';
import { createCanaryService, type CanaryService } from './canary-service.js';
import { createCompletionService, type CompletionService } from './completion-service.js';
import { createDecisionWriter } from './decision-writer.js';
import { createDrillService, type DrillService } from './drills.js';
import type { FeatureFlags } from './feature-flags.js';
import { createJobQueue, type JobQueue, type JobQueueOptions } from './job-queue.js';
import { createJobStore, type JobStore, type JobView } from './job-store.js';
import { createJobWorker, type JobWorker, type JobWorkerOptions } from './job-worker.js';
import { startPgBoss } from './pg-boss-connection.js';
import { createPgBudgetStore } from './pg-budget-store.js';
import { createBudgetLeases, type LeasedBudgetStore } from './budget-leases.js';
import { createDecisionJournal } from './decision-journal.js';
import { createPolicyStore, type PolicyStore } from './policy-store.js';
import { createPrivacySink } from './privacy-sink.js';
import { createShadowRoutes, type ShadowRoutes } from './shadow-routes.js';
import type { RateLimits } from './rate-limits.js';
import type { RedisConnections } from './redis.js';
import { createSharedState, type SharedState } from './shared-state.js';
import { createReviewService, type ReviewService } from './review-service.js';
import { withCachedSnapshots } from './snapshot-cache.js';
import { createTenantStore, DEFAULT_TENANT, type TenantStore } from './tenant-store.js';

export interface BackstopServices {
  database: DatabaseHandle;
  config: BackstopConfig;
  clock: Clock;
  engine: FallbackEngine;
  tenants: TenantStore;
  policies: PolicyStore;
  budgets: LeasedBudgetStore;
  decisions: ReturnType<typeof createDecisionWriter>;
  completions: CompletionService;
  /** Metrics, live aggregates, alerts and synthetic checks; its timers run only after `monitoring.start()`. */
  monitoring: Monitoring;
  /** Fault drills on simulated routes; unavailable (DRILL_UNAVAILABLE) when no simulator runs. Close it on shutdown. */
  drills: DrillService;
  /** Per-minute limits by tenant, API key and route (config file + `setRateLimit`). */
  rateLimits: RateLimits;
  /** Canary releases of policy versions (`startCanary`, `promoteCanary`, `rollbackCanary`). Close it on shutdown. */
  canaries: CanaryService;
  /**
   * Rolls canaries back past their thresholds: counts this instance's canary decisions at once, and reads every
   * instance's figures from the decision log every 5 s after `canaryGuard.start()`. Close it on shutdown.
   */
  canaryGuard: CanaryGuard;
  /** Routes and tiers switched off or on for every instance (`setRouteEnabled`, `setTierEnabled`); audited. */
  featureFlags: FeatureFlags;
  /** Shadow routes: sampled requests mirrored to a candidate route after they are served. Close it on shutdown. */
  shadows: ShadowRoutes;
  /** What instances share through Redis (or keep in process without it). Close it before the Redis connections. */
  shared: SharedState;
  /** Deferred jobs and human review; its workers run only after `jobs.start()`. Stop it before closing the database. */
  jobs: Jobs;
  logger: Logger;
}

/** Deferred work: the durable queue (pg-boss), the worker that runs it, and the human review queue. */
export interface Jobs {
  store: JobStore;
  queue: JobQueue;
  worker: JobWorker;
  reviews: ReviewService;
  /** Starts the workers (fetch loop and maintenance). */
  start(): void;
  /** Stops the workers (running jobs get a grace period, then go back to the queue), then pg-boss. */
  stop(): Promise<void>;
}

/** Job queue and worker settings; every field is optional. */
export type JobsOptions = Pick<JobQueueOptions, 'retryLimit' | 'retryDelaySeconds' | 'expireInSeconds'> &
  Pick<JobWorkerOptions, 'concurrency' | 'pollIntervalMs' | 'leaseMs' | 'maintenanceIntervalMs'> & {
    /** Grace period for running jobs on stop, in milliseconds. Defaults to 15 000. */
    stopGraceMs?: number;
  };

export interface ServicesOptions {
  database: DatabaseHandle;
  config: BackstopConfig;
  providers: ProviderResolver;
  logger: Logger;
  clock?: Clock;
  monitoring?: MonitoringOptions;
  /** The in-process simulator (`ProviderRegistry.simulator`), which drills set fault profiles on. Defaults to none. */
  simulator?: Simulator;
  jobs?: JobsOptions;
  /** Connections for `REDIS_URL`: breakers, rate limits and live events are then shared by every instance. */
  redis?: RedisConnections | undefined;
  /** Buffered decision rows are journaled here until written, so a killed process loses none. Defaults to none. */
  journalDir?: string | undefined;
  /** How long a recorded decision may wait before its batch is written, in ms. Defaults to 200. */
  decisionFlushMs?: number | undefined;
}

/** Wires the stores, the decision writer and the engine around one database. Seeds the default tenant and policy. */
export async function createServices(options: ServicesOptions): Promise<BackstopServices> {
  const { database, config, logger } = options;
  const clock = options.clock ?? systemClock;
  const db = database.db;
  const tenants = createTenantStore(db, clock.now);
  const policies = createPolicyStore(db, config.routes, tenants, config.policy, {
    clock,
    logger,
    redis: options.redis,
  });
  // Requests carve their holds from a leased slice of the budget: no database round trip on the hot path.
  const budgets = createBudgetLeases(createPgBudgetStore({ db, clock }), {
    clock,
    newId: randomUUID,
    onError: (e) => logger.warn({ err: e }, 'budget lease not charged yet; will retry'),
  });
  const journal = options.journalDir
    ? createDecisionJournal({
        dir: options.journalDir,
        onFull: () => logger.error('decision journal full; newer buffered rows are kept in memory only'),
      })
    : undefined;
  const decisions = createDecisionWriter({
    db,
    journal,
    ...(options.decisionFlushMs !== undefined && { flushIntervalMs: options.decisionFlushMs }),
    onError: (e) => logger.warn({ err: e }, 'decision batch not written yet; will retry'),
    onDrop: (n) => logger.error({ dropped: n }, 'decision buffer full; oldest rows dropped'),
  });
  if (journal) {
    // Rows a killed predecessor buffered go first; recording them journals them again, so the old file can go.
    const left = journal.recover();
    for (const entry of left) decisions.record(entry.decision, entry.extra);
    journal.finishRecovery();
    if (left.length > 0) logger.info({ decisions: left.length }, 'decision rows recovered from the journal');
  }
  // Shadow routes see each decision after the privacy sink has taken it, and mirror off the request path.
  const shadows = createShadowRoutes({
    db,
    clock,
    logger,
    audit: tenants.audit,
    routes: config.routes,
    providers: options.providers,
    inner: createPrivacySink(decisions, (t) => tenants.contentLoggingOf(t)),
    redis: options.redis,
  });
  await shadows.load();
  const decisionSink = shadows.sink;
  const jobEvents = new EventEmitter<JobView>();
  const notify = (job: JobView) => jobEvents.emit(job);
  const isBatchPaused = (tenantId: string) => tenants.isBatchPaused(tenantId);
  const jobStore = createJobStore(db);
  const boss = await startPgBoss(database, {
    onError: (e) => logger.warn({ err: e }, 'job queue error (pg-boss)'),
  });
  const jobQueue = await createJobQueue({ boss, store: jobStore, isBatchPaused, notify, ...options.jobs });
  const shared = await createSharedState({
    db,
    rateLimits: config.rateLimits,
    clock,
    logger,
    audit: tenants.audit,
    redis: options.redis,
  });
  const engine = createFallbackEngine({
    clock,
    random: Math.random,
    newId: randomUUID,
    routes: config.routes,
    providers: options.providers,
    budgetStore: withCachedSnapshots(budgets, clock),
    breakerStore: shared.breakerStore,
    routeGate: shared.rateLimits.routeGate,
    routeSwitch: shared.featureFlags.routeSwitch,
    cache: createMemoryResponseCache({ clock }),
    decisionSink,
    workQueue: jobQueue,
  });
  await tenants.ensureTenant(DEFAULT_TENANT, 'Default tenant');
  await tenants.listTenants();
  await policies.ensureSeed();
  await policies.start();
  const canaries = createCanaryService({ db, clock, logger, policies, audit: tenants.audit, redis: options.redis });
  await canaries.start();
  const completions = createCompletionService({
    db,
    engine,
    policies,
    tenants,
    workQueue: jobQueue,
    decisionSink,
    clock,
    newId: randomUUID,
    rateLimits: shared.rateLimits,
    canaries,
  });
  const monitoring = createMonitoring(
    {
      db,
      engine,
      routes: config.routes,
      providers: options.providers,
      budgets,
      bufferDepth: () => decisions.bufferDepth(),
      clock,
      logger,
      redis: options.redis,
    },
    options.monitoring,
  );
  await monitoring.alerts.ensureSeed();
  // Counts canary-arm decisions as the engine records them; a crossed threshold rolls the canary back.
  const canaryGuard = createCanaryGuard({ canaries, alerts: monitoring.alerts, clock, newId: randomUUID, logger });
  engine.events.onDecision((d) => canaryGuard.observe(d));
  jobEvents.event((job) => monitoring.pubsub.publish('job:updated', job));
  const worker = createJobWorker({
    queue: jobQueue,
    store: jobStore,
    engine,
    policies,
    isBatchPaused,
    notify,
    logger,
    ...options.jobs,
  });
  const jobs: Jobs = {
    store: jobStore,
    queue: jobQueue,
    worker,
    reviews: createReviewService({
      store: jobStore,
      recordDecision: (decision, extra) => decisions.record(decision, extra),
      contentLoggingOf: (t) => tenants.contentLoggingOf(t),
      policyVersion: async (t) => (await policies.livePolicy(t)).version,
      audit: tenants.audit,
      notify,
      clock,
      newId: randomUUID,
    }),
    start: () => worker.start(),
    async stop() {
      await worker.stop({ graceMs: options.jobs?.stopGraceMs ?? 15_000 });
      await jobQueue.stop();
    },
  };
  const drills = createDrillService({
    simulator: options.simulator,
    routes: config.routes,
    providers: config.providers,
    clock,
    audit: tenants.audit,
  });
  return {
    database,
    config,
    clock,
    engine,
    tenants,
    policies,
    budgets,
    decisions,
    completions,
    monitoring,
    drills,
    rateLimits: shared.rateLimits,
    canaries,
    canaryGuard,
    featureFlags: shared.featureFlags,
    shadows,
    shared,
    jobs,
    logger,
  };
}
