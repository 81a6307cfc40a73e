import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlertEvent, AlertRule, AlertScope } from '../../shared/contracts/alert.js';
import type { BreakerState } from '../../shared/contracts/decision.js';
import type { RouteSpec } from '../../shared/contracts/route.js';
import type { CircuitBreakers } from '../../shared/engine/circuit-breaker.js';
import type { BudgetStore, Clock } from '../../shared/engine/ports.js';
import { createAlertEvaluator, type AlertReading, type FiringAlert } from '../../shared/monitoring/alert-evaluator.js';
import { defaultAlertRules, routeSloThreshold } from '../../shared/monitoring/default-rules.js';
import { scopeForSubject, type LiveAggregates } from '../../shared/monitoring/live-aggregates.js';
import type { AlertCoordinator } from './alert-leader.js';
import type { MonitoringPubSub } from './alert-pubsub.js';
import type { AlertStore } from './alert-store.js';
import type { WebhookNotifier } from './webhooks.js';

export interface AlertServiceOptions {
  store: AlertStore;
  live: LiveAggregates;
  routes: ReadonlyMap<string, RouteSpec>;
  breakers: Pick<CircuitBreakers, 'snapshot'>;
  budgets: Pick<BudgetStore, 'snapshot'>;
  pubsub: MonitoringPubSub;
  webhooks: WebhookNotifier;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  /** Time between two evaluations of every rule, in milliseconds. Defaults to 15 000. */
  evaluateEveryMs?: number;
  /** Elects one evaluator among instances and shares its state (Redis). Without one, this instance evaluates alone. */
  coordinator?: AlertCoordinator | undefined;
  /** This instance's view of Redis, read by `redis_unreachable` rules (1 when unreachable). Defaults to off. */
  redisStatus?: () => 'ok' | 'unreachable' | 'off';
}

/** Rules, their evaluation loop and the events it produces. */
export interface AlertService {
  /** Seeds the default rules on a new install (an empty alert_rules table). */
  ensureSeed(): Promise<void>;
  /** Runs one evaluation of every rule now; resolves with the transitions it stored and published. */
  evaluate(): Promise<AlertEvent[]>;
  /** Resolves what a rule is firing for (events are published), then forgets it; for a deleted rule. */
  retire(rule: AlertRule): Promise<AlertEvent[]>;
  firing(): FiringAlert[];
  /** Stores, publishes and notifies events that come from outside the rules (e.g. Redis unreachable). */
  announce(events: AlertEvent[]): Promise<void>;
  start(): void;
  /** Stops the loop and waits for a running evaluation; webhook deliveries are dropped. */
  stop(): Promise<void>;
}

/** The tenant an event concerns: the rule's tenant, else the tenant in its subject (`tenant:<id>`), else none. */
export function eventTenant(event: Pick<AlertEvent, 'tenantId' | 'subject'>): string | null {
  if (event.tenantId) return event.tenantId;
  return event.subject.startsWith('tenant:') ? event.subject.slice('tenant:'.length) : null;
}

/** Monthly budget used (spent + held) as a fraction; a zero limit allows no spend, so it reads as fully used. */
function usedFraction(s: { spentUsd: number; reservedUsd: number; monthlyLimitUsd: number }): number {
  return s.monthlyLimitUsd > 0 ? (s.spentUsd + s.reservedUsd) / s.monthlyLimitUsd : 1;
}

/**
 * Evaluates the stored rules every `evaluateEveryMs` over the live aggregates, budget snapshots (used fraction per
 * tenant) and breaker states (1 when open or half-open, else 0). Each transition is stored in alert_events, published
 * on `alert:fired` and handed to the webhooks, in that order; none of it runs on a request's path. With a
 * `coordinator`, only the instance holding the evaluator lock evaluates on the timer, over state shared by all.
 * @example const alerts = createAlertService({ store, live, routes, breakers, budgets, pubsub, webhooks, clock, logger });
 */
export function createAlertService(options: AlertServiceOptions): AlertService {
  const { store, live, routes, clock, logger } = options;
  const everyMs = options.evaluateEveryMs ?? 15_000;
  const redisStatus = options.redisStatus ?? (() => 'off' as const);
  const evaluator = createAlertEvaluator({ clock, newId: options.newId ?? randomUUID });
  const slo = routeSloThreshold([...routes.values()]);
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  // Evaluations share the evaluator's memory: one at a time, whether from the loop or from a rule being deleted.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const effectiveScope = (rule: AlertRule): AlertScope =>
    rule.tenantId ? { ...rule.scope, tenantId: rule.tenantId } : rule.scope;

  const routesIn = (scope: AlertScope) =>
    [...routes.values()].filter(
      (r) =>
        (scope.routeId === undefined || r.id === scope.routeId) &&
        (scope.model === undefined || r.model === scope.model),
    );

  /** Budget and breaker readings for this pass, fetched once so the evaluator's reads stay synchronous. */
  const readState = async (rules: readonly AlertRule[]) => {
    const budgets = new Map<string, number>();
    const breakers = new Map<string, BreakerState>();
    if (rules.some((r) => r.enabled && r.metric === 'budget_used_fraction')) {
      for (const tenantId of await store.budgetTenants()) {
        const snapshot = await options.budgets.snapshot(tenantId);
        if (snapshot) budgets.set(tenantId, usedFraction(snapshot));
      }
    }
    if (rules.some((r) => r.enabled && r.metric === 'breaker_open')) {
      for (const id of routes.keys()) breakers.set(id, (await options.breakers.snapshot(id)).state);
    }
    return { budgets, breakers };
  };

  const run = async (rules: AlertRule[]): Promise<AlertEvent[]> => {
    const state = await readState(rules);
    const subjectsOf = (rule: AlertRule): string[] => {
      const scope = effectiveScope(rule);
      if (rule.metric === 'budget_used_fraction') {
        return [...state.budgets.keys()]
          .filter((t) => scope.tenantId === undefined || t === scope.tenantId)
          .map((t) => `tenant:${t}`);
      }
      if (rule.metric === 'breaker_open') return routesIn(scope).map((r) => `route:${r.id}`);
      if (rule.metric === 'redis_unreachable') return redisStatus() === 'off' ? [] : ['all'];
      const subjects = live.subjects(rule.metric, scope);
      // `all` under a scope that names a route or tenant reads the same series; naming it makes the message useful
      // and lets a tenant-scoped event reach that tenant.
      if (subjects.length !== 1 || subjects[0] !== 'all') return subjects;
      if (scope.routeId !== undefined) return [`route:${scope.routeId}`];
      return scope.tenantId !== undefined ? [`tenant:${scope.tenantId}`] : subjects;
    };
    const read = (rule: AlertRule, subject: string): AlertReading => {
      if (rule.metric === 'budget_used_fraction') {
        const value = state.budgets.get(subject.slice('tenant:'.length));
        return { value, sample: value === undefined ? 0 : 1 };
      }
      if (rule.metric === 'breaker_open') {
        const breaker = state.breakers.get(subject.slice('route:'.length));
        return breaker === undefined
          ? { value: undefined, sample: 0 }
          : { value: breaker === 'closed' ? 0 : 1, sample: 1 };
      }
      if (rule.metric === 'redis_unreachable') {
        const status = redisStatus();
        return status === 'off' ? { value: undefined, sample: 0 } : { value: status === 'ok' ? 0 : 1, sample: 1 };
      }
      const reading = live.read(rule.metric, scopeForSubject(effectiveScope(rule), subject), rule.windowMs);
      const threshold = slo(rule, subject);
      return threshold === undefined ? reading : { ...reading, threshold };
    };
    const events = evaluator.evaluate(rules, read, subjectsOf).map((e) => ({ ...e, tenantId: eventTenant(e) }));
    await publish(events);
    return events;
  };

  const publish = async (events: AlertEvent[]) => {
    if (events.length === 0) return;
    // A database outage must not silence alerts: publish and notify even when the rows could not be written.
    await store.insertEvents(events).catch((e: unknown) => logger.error({ err: e }, 'alert events not stored'));
    for (const event of events) {
      logger.info(
        { rule: event.ruleId, subject: event.subject, severity: event.severity, value: event.value },
        `alert ${event.state}`,
      );
      options.pubsub.publish('alert:fired', event);
      options.webhooks.notify(event);
    }
  };

  /**
   * One pass over the shared evaluator state: load it, evaluate (with `lead`, only if this instance holds the
   * evaluator lock), store it again. Without a coordinator, just `fn`.
   */
  const coordinated = async (fn: () => Promise<AlertEvent[]>, lead: boolean): Promise<AlertEvent[]> => {
    const { coordinator } = options;
    if (!coordinator) return fn();
    const shared = await coordinator.load();
    if (shared) evaluator.importState(shared);
    if (lead && !(await coordinator.acquire())) return [];
    const events = await fn();
    await coordinator.save(evaluator.exportState());
    return events;
  };

  const tick = async () => {
    try {
      await serial(() => coordinated(async () => run(await store.listRules()), true));
    } catch (e) {
      logger.warn({ err: e }, 'alert evaluation failed; will retry at the next interval');
    }
    if (stopped) return;
    timer = setTimeout(() => void tick(), everyMs);
    // The loop must not keep the process alive; shutdown calls stop() anyway.
    timer.unref();
  };

  return {
    async ensureSeed() {
      const n = await store.ensureSeed(defaultAlertRules());
      if (n > 0) logger.info({ rules: n }, 'default alert rules seeded');
    },
    evaluate: () => serial(() => coordinated(async () => run(await store.listRules()), false)),
    retire: (rule) =>
      serial(() =>
        coordinated(async () => {
          const events = await run([{ ...rule, enabled: false }]);
          evaluator.forget(rule.id);
          return events;
        }, false),
      ),
    firing: () => evaluator.firing(),
    announce: publish,
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(() => void tick(), everyMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      options.webhooks.stop();
      await chain;
      await options.coordinator?.release();
    },
  };
}
