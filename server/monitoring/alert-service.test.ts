import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlertRuleSchema, type AlertEvent, type AlertRule } from '../../shared/contracts/alert.js';
import type { BudgetSnapshot } from '../../shared/contracts/budget.js';
import { RouteSpecSchema } from '../../shared/contracts/route.js';
import { createCircuitBreakers } from '../../shared/engine/circuit-breaker.js';
import { createMemoryBreakerStore } from '../../shared/engine/memory-breaker-store.js';
import { defaultAlertRules } from '../../shared/monitoring/default-rules.js';
import { createLiveAggregates } from '../../shared/monitoring/live-aggregates.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { createMonitoringPubSub } from './alert-pubsub.js';
import { createAlertService, eventTenant } from './alert-service.js';
import type { AlertStore } from './alert-store.js';
import type { WebhookNotifier } from './webhooks.js';

const defaults = defaultAlertRules().map((r) => AlertRuleSchema.parse(r));
const rule = (id: string) => defaults.find((r) => r.id === id)!;
const gpt = RouteSpecSchema.parse({ id: 'gpt-4o', provider: 'openai', model: 'gpt-4o' });

function setup(
  rules: AlertRule[],
  spent: Record<string, number> = {},
  redisStatus?: () => 'ok' | 'unreachable' | 'off',
) {
  const clock = createFakeClock();
  const stored: AlertEvent[] = [];
  const notified: AlertEvent[] = [];
  const published: AlertEvent[] = [];
  let failWrites = false;
  const store = {
    listRules: async () => rules,
    budgetTenants: async () => Object.keys(spent),
    insertEvents: async (events: AlertEvent[]) => {
      if (failWrites) throw new Error('database away');
      stored.push(...events);
    },
    ensureSeed: async () => 0,
  } as unknown as AlertStore;
  const snapshot = async (tenantId: string): Promise<BudgetSnapshot | undefined> =>
    spent[tenantId] === undefined
      ? undefined
      : {
          tenantId,
          monthlyLimitUsd: 100,
          prepaidBalanceUsd: null,
          dailyLimitUsd: null,
          retryBudgetPerDay: null,
          spentUsd: spent[tenantId]!,
          reservedUsd: 0,
          dailySpentUsd: 0,
          retriesUsedToday: 0,
        };
  const breakers = createCircuitBreakers({ store: createMemoryBreakerStore(), clock });
  const pubsub = createMonitoringPubSub();
  const publish = pubsub.publish;
  pubsub.publish = (topic, ...payload) => {
    if (topic === 'alert:fired') published.push(payload[0] as AlertEvent);
    publish(topic, ...payload);
  };
  const webhooks: WebhookNotifier = {
    notify: (e) => void notified.push(e),
    pending: () => 0,
    idle: async () => true,
    stop: () => undefined,
  };
  const service = createAlertService({
    store,
    live: createLiveAggregates({ clock }),
    routes: new Map([[gpt.id, gpt]]),
    breakers,
    budgets: { snapshot },
    pubsub,
    webhooks,
    clock,
    logger: pino({ level: 'silent' }),
    evaluateEveryMs: 1_000,
    ...(redisStatus && { redisStatus }),
  });
  const failStoring = () => {
    failWrites = true;
  };
  return { service, breakers, clock, stored, notified, published, failStoring };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('alert service', () => {
  it('reads the used budget fraction per tenant and tags each event with the tenant', async () => {
    const budgetRules = defaults.filter((r) => r.metric === 'budget_used_fraction');
    const { service, stored, published, notified } = setup(budgetRules, { acme: 85, globex: 10 });
    const events = await service.evaluate();
    expect(events.map((e) => [e.ruleId, e.subject, e.tenantId])).toEqual([
      ['default:budget-70', 'tenant:acme', 'acme'],
      ['default:budget-80', 'tenant:acme', 'acme'],
    ]);
    expect(stored).toEqual(events);
    expect(published).toEqual(events);
    expect(notified).toEqual(events);
    expect(await service.evaluate()).toEqual([]);
  });

  it('fires for an open breaker and resolves once it closes', async () => {
    const { service, breakers, clock } = setup([rule('default:breaker-open')]);
    expect(await service.evaluate()).toEqual([]);
    for (let i = 0; i < 5; i++) await breakers.record(gpt, { ok: false, countsForHealth: true, latencyMs: 5 });
    const [fired] = await service.evaluate();
    expect(fired).toMatchObject({ state: 'fired', subject: 'route:gpt-4o', value: 1, tenantId: null });
    await clock.advance(30_000);
    await breakers.check(gpt);
    // Half-open is not healthy yet: the alert holds until a probe closes the breaker.
    expect(await service.evaluate()).toEqual([]);
    await breakers.record(gpt, { ok: true, countsForHealth: true, latencyMs: 5 });
    expect(await service.evaluate()).toMatchObject([{ state: 'resolved', subject: 'route:gpt-4o', value: 0 }]);
  });

  it('resolves what a retired (deleted) rule was firing for', async () => {
    const budget = rule('default:budget-70');
    const { service } = setup([budget], { acme: 90 });
    expect(await service.evaluate()).toHaveLength(1);
    expect(await service.retire(budget)).toMatchObject([{ state: 'resolved', subject: 'tenant:acme' }]);
    expect(service.firing()).toEqual([]);
  });

  it('still publishes and notifies when the events cannot be stored', async () => {
    const { service, failStoring, published, notified } = setup([rule('default:budget-70')], { acme: 90 });
    failStoring();
    expect(await service.evaluate()).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(notified).toHaveLength(1);
  });

  it('fires a redis_unreachable rule while this instance runs on local state, and resolves it when Redis is back', async () => {
    const redisRule = AlertRuleSchema.parse({
      id: 'redis',
      name: 'Redis unreachable',
      metric: 'redis_unreachable',
      comparator: 'gt',
      threshold: 0,
      minSample: 0,
    });
    let status: 'ok' | 'unreachable' = 'unreachable';
    const { service } = setup([redisRule], {}, () => status);
    expect(await service.evaluate()).toMatchObject([{ state: 'fired', subject: 'all', value: 1 }]);
    status = 'ok';
    expect(await service.evaluate()).toMatchObject([{ state: 'resolved', value: 0 }]);
    const off = setup([redisRule]);
    expect(await off.service.evaluate()).toEqual([]);
  });

  it('evaluates on its interval until stopped', async () => {
    vi.useFakeTimers();
    const { service, published } = setup([rule('default:budget-70')], { acme: 90 });
    service.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(published).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(published).toHaveLength(1);
    await service.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('eventTenant', () => {
  it('is the rule’s tenant, else the tenant named by the subject, else none', () => {
    expect(eventTenant({ tenantId: 'acme', subject: 'route:gpt-4o' })).toBe('acme');
    expect(eventTenant({ tenantId: null, subject: 'tenant:globex' })).toBe('globex');
    expect(eventTenant({ tenantId: null, subject: 'route:gpt-4o' })).toBeNull();
  });
});
