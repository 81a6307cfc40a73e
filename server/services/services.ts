import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { createFallbackEngine, type FallbackEngine } from '../../shared/engine/fallback-engine.js';
import { createMemoryResponseCache } from '../../shared/engine/memory-response-cache.js';
import type { Clock, ProviderResolver } from '../../shared/engine/ports.js';
import type { BackstopConfig } from '../config.js';
import { createMonitoring, type Monitoring, type MonitoringOptions } from '../monitoring/monitoring.js';
import type { Simulator } from '../providers/simulator/server.js';
import { systemClock } from '../system-clock.js';
import { createCompletionService, type CompletionService } from './completion-service.js';
import { createDecisionWriter } from './decision-writer.js';
import { createDrillService, type DrillService } from './drills.js';
import { createPgBudgetStore } from './pg-budget-store.js';
import { createPolicyStore, type PolicyStore } from './policy-store.js';
import { createPrivacySink } from './privacy-sink.js';
import { withCachedSnapshots } from './snapshot-cache.js';
import { createTenantStore, DEFAULT_TENANT, type TenantStore } from './tenant-store.js';

export interface BackstopServices {
  database: DatabaseHandle;
  config: BackstopConfig;
  clock: Clock;
  engine: FallbackEngine;
  tenants: TenantStore;
  policies: PolicyStore;
  budgets: ReturnType<typeof createPgBudgetStore>;
  decisions: ReturnType<typeof createDecisionWriter>;
  completions: CompletionService;
  /** Metrics, live aggregates, alerts and synthetic checks; its timers run only after `monitoring.start()`. */
  monitoring: Monitoring;
  /** Fault drills on simulated routes; unavailable (DRILL_UNAVAILABLE) when no simulator runs. Close it on shutdown. */
  drills: DrillService;
  logger: Logger;
}

export interface ServicesOptions {
  database: DatabaseHandle;
  config: BackstopConfig;
  providers: ProviderResolver;
  logger: Logger;
  clock?: Clock;
  monitoring?: MonitoringOptions;
  /** The in-process simulator (`ProviderRegistry.simulator`), which drills set fault profiles on. Defaults to none. */
  simulator?: Simulator;
}

/** Wires the stores, the decision writer and the engine around one database. Seeds the default tenant and policy. */
export async function createServices(options: ServicesOptions): Promise<BackstopServices> {
  const { database, config, logger } = options;
  const clock = options.clock ?? systemClock;
  const db = database.db;
  const tenants = createTenantStore(db, clock.now);
  const policies = createPolicyStore(db, config.routes, tenants, config.policy);
  const budgets = createPgBudgetStore({ db, clock });
  const decisions = createDecisionWriter({
    db,
    onError: (e) => logger.warn({ err: e }, 'decision batch not written yet; will retry'),
    onDrop: (n) => logger.error({ dropped: n }, 'decision buffer full; oldest rows dropped'),
  });
  const engine = createFallbackEngine({
    clock,
    random: Math.random,
    newId: randomUUID,
    routes: config.routes,
    providers: options.providers,
    budgetStore: withCachedSnapshots(budgets, clock),
    cache: createMemoryResponseCache({ clock }),
    decisionSink: createPrivacySink(decisions, (t) => tenants.contentLoggingOf(t)),
  });
  await tenants.ensureTenant(DEFAULT_TENANT, 'Default tenant');
  await tenants.listTenants();
  await policies.ensureSeed();
  const completions = createCompletionService({ db, engine, policies, tenants });
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
    },
    options.monitoring,
  );
  await monitoring.alerts.ensureSeed();
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
    logger,
  };
}
