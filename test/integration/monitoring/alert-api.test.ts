import { randomUUID } from 'node:crypto';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules } from '../../../drizzle/schema/index.js';
import type { AlertEvent } from '../../../shared/contracts/alert.js';
import { defaultAlertRules } from '../../../shared/monitoring/default-rules.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError } from '../graphql/support.js';
import { complete, subscribeOverSse, waitFor } from './support.js';

const RULE_FIELDS =
  'id tenantId name metric scope { routeId tier } windowMs comparator threshold minSample severity enabled';
const CREATE = `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { ${RULE_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateAlertRuleInput!) { updateAlertRule(id: $id, input: $input) { ${RULE_FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteAlertRule(id: $id) }';
const ACK = 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id acknowledgedAt acknowledgedBy } }';
const EVENTS = 'query($tenantId: ID) { alertEvents(tenantId: $tenantId) { id tenantId subject } }';
const valid = { name: 'Slow haiku', metric: 'p95_latency_ms', comparator: 'gt', threshold: 5000 };

let tb: TestBackstop;
let acmeKey: string;
let globexKey: string;
let viewerKey: string;

beforeAll(async () => {
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  globexKey = await tb.key('tenant', 'globex');
  viewerKey = await tb.key('viewer');
});
afterAll(() => tb.close());

const rowCount = async (table: typeof alertRules) =>
  (await tb.services.database.db.select({ n: count() }).from(table))[0]!.n;

function event(tenantId: string | null, subject: string): AlertEvent {
  return {
    id: randomUUID(),
    ruleId: 'default:budget-80',
    ruleName: 'Budget 80% used',
    tenantId,
    severity: 'warning',
    state: 'fired',
    metric: 'budget_used_fraction',
    subject,
    value: 0.85,
    threshold: 0.8,
    message: `budget used 85% > 80% on ${subject}`,
    atMs: Date.now(),
  };
}

describe('alert rules', () => {
  it('seeds the default rules on a new install, once', async () => {
    const { alertRules: rules } = expectData(await tb.gql(`{ alertRules { ${RULE_FIELDS} } }`));
    expect(rules.map((r: { id: string }) => r.id)).toEqual(defaultAlertRules().map((r) => r.id));
    expect(await tb.services.monitoring.alertStore.ensureSeed(defaultAlertRules())).toBe(0);
  });

  it('creates, updates and deletes a rule (admins only)', async () => {
    const { createAlertRule: rule } = expectData(
      await tb.gql(CREATE, { input: { ...valid, scope: { routeId: 'claude-3-5-haiku' } } }),
    );
    expect(rule).toMatchObject({ ...valid, windowMs: 300_000, minSample: 20, severity: 'warning', enabled: true });
    const { updateAlertRule: updated } = expectData(
      await tb.gql(UPDATE, { id: rule.id, input: { threshold: 8000, enabled: false } }),
    );
    expect(updated).toMatchObject({ threshold: 8000, enabled: false, scope: { routeId: 'claude-3-5-haiku' } });
    expectError(await tb.gql(CREATE, { input: valid }, viewerKey), 'FORBIDDEN');
    expectError(await tb.gql(DELETE, { id: rule.id }, acmeKey), 'FORBIDDEN');
    expect(expectData(await tb.gql(DELETE, { id: rule.id })).deleteAlertRule).toBe(true);
    expectError(await tb.gql(DELETE, { id: rule.id }), 'NOT_FOUND');
    expectError(await tb.gql(UPDATE, { id: rule.id, input: { threshold: 1 } }), 'NOT_FOUND');
  });

  it('rejects bad input naming the field, and writes nothing', async () => {
    const before = await rowCount(alertRules);
    const bad: [Record<string, unknown>, string][] = [
      [{ ...valid, windowMs: 1234 }, 'input.windowMs'],
      [{ ...valid, name: '' }, 'input.name'],
      [{ ...valid, minSample: -1 }, 'input.minSample'],
      [{ ...valid, scope: { tier: -1 } }, 'input.scope.tier'],
      [{ ...valid, scope: { routeId: 'no-such-route' } }, 'input.scope.routeId'],
      [{ ...valid, tenantId: 'nobody' }, 'input.tenantId'],
      [{ ...valid, tenantId: 'acme', scope: { tenantId: 'globex' } }, 'input.scope.tenantId'],
    ];
    for (const [input, path] of bad) {
      const error = expectError(await tb.gql(CREATE, { input }), 'BAD_USER_INPUT');
      expect(error.extensions!.issues).toEqual([expect.objectContaining({ path })]);
    }
    const seeded = defaultAlertRules()[0]!.id;
    const error = expectError(await tb.gql(UPDATE, { id: seeded, input: { cooldownMs: -5 } }), 'BAD_USER_INPUT');
    expect(error.message).toContain('input.cooldownMs');
    expect(await rowCount(alertRules)).toBe(before);
    expect((await tb.services.monitoring.alertStore.getRule(seeded))!.cooldownMs).toBe(300_000);
  });

  it('shows tenant keys their own rules and the global ones', async () => {
    expectData(await tb.gql(CREATE, { input: { ...valid, name: 'acme only', tenantId: 'acme' } }));
    const names = async (key: string) =>
      expectData(await tb.gql('{ alertRules { name tenantId } }', {}, key)).alertRules.map(
        (r: { name: string }) => r.name,
      );
    expect(await names(acmeKey)).toContain('acme only');
    expect(await names(globexKey)).not.toContain('acme only');
    expect(await names(globexKey)).toContain('Circuit breaker open');
  });
});

describe('alert events', () => {
  const acme = event(null, 'tenant:acme');
  const globex = event('globex', 'tenant:globex');
  const gateway = { ...event(null, 'route:gpt-4o'), metric: 'breaker_open' as const };

  beforeAll(async () => {
    // As the alert service stores them: the tenant of a `tenant:<id>` subject is the event's tenant.
    await tb.services.monitoring.alertStore.insertEvents([{ ...acme, tenantId: 'acme' }, globex, gateway]);
  });

  it('lets tenant keys list their own events only; gateway-wide events are for staff', async () => {
    const ids = async (key: string, tenantId?: string) =>
      expectData(await tb.gql(EVENTS, { tenantId }, key)).alertEvents.map((e: { id: string }) => e.id);
    expect(await ids(acmeKey)).toEqual([acme.id]);
    expect(await ids(globexKey)).toEqual([globex.id]);
    expect(await ids(viewerKey)).toEqual(expect.arrayContaining([acme.id, globex.id, gateway.id]));
    expect(await ids(tb.adminKey, 'acme')).toEqual([acme.id]);
    expectError(await tb.gql(EVENTS, { tenantId: 'globex' }, acmeKey), 'FORBIDDEN');
  });

  it('acknowledges an event once; other tenants and viewers cannot', async () => {
    expectError(await tb.gql(ACK, { id: acme.id }, globexKey), 'NOT_FOUND');
    expectError(await tb.gql(ACK, { id: acme.id }, viewerKey), 'FORBIDDEN');
    expectError(await tb.gql(ACK, { id: gateway.id }, acmeKey), 'NOT_FOUND');
    expectError(await tb.gql(ACK, { id: 'not-a-uuid' }), 'BAD_USER_INPUT');
    const first = expectData(await tb.gql(ACK, { id: acme.id }, acmeKey)).acknowledgeAlert;
    expect(first.acknowledgedAt).toEqual(expect.any(String));
    const again = expectData(await tb.gql(ACK, { id: acme.id })).acknowledgeAlert;
    expect(again).toEqual(first);
    expect(expectData(await tb.gql(ACK, { id: gateway.id })).acknowledgeAlert.acknowledgedAt).not.toBeNull();
  });

  it('filters the alerts subscription by tenant: a tenant key never receives another tenant’s or global events', async () => {
    const query = 'subscription { alerts { id subject } }';
    const tenant = subscribeOverSse<{ alerts: { id: string } }>(tb, query, {}, acmeKey);
    const staff = subscribeOverSse<{ alerts: { id: string } }>(tb, query, {}, viewerKey);
    const refused = subscribeOverSse(tb, 'subscription { alerts(tenantId: "globex") { id } }', {}, acmeKey);
    try {
      const markers = new Set<string>();
      const seen = (s: typeof tenant) => s.messages.map((m) => m.data?.alerts.id);
      // Publish acme markers until one has reached both subscribers: from then on both are live.
      await waitFor('both subscriptions to be live', () => {
        const marker = { ...event(null, 'tenant:acme'), tenantId: 'acme' };
        markers.add(marker.id);
        tb.services.monitoring.pubsub.publish('alert:fired', marker);
        return seen(tenant).some((id) => id && markers.has(id) && seen(staff).includes(id));
      });
      const other = event('globex', 'tenant:globex');
      const gatewayWide = event(null, 'route:gpt-4o');
      const own = { ...event(null, 'tenant:acme'), tenantId: 'acme' };
      for (const e of [other, gatewayWide, own]) tb.services.monitoring.pubsub.publish('alert:fired', e);
      await waitFor('the last event', () => seen(tenant).includes(own.id) && seen(staff).includes(own.id));
      const tested = (s: typeof tenant) => seen(s).filter((id) => !markers.has(id!));
      expect(tested(tenant)).toEqual([own.id]);
      expect(tested(staff)).toEqual([other.id, gatewayWide.id, own.id]);
      await waitFor('the refusal', () => refused.messages.length > 0);
      expect(refused.messages[0]!.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    } finally {
      await Promise.all([tenant.close(), staff.close(), refused.close()]);
    }
  });
});

describe('liveMetrics', () => {
  it('returns the live aggregates to staff and refuses tenant keys', async () => {
    await complete(tb, 'critical', 'live metrics');
    const q = '{ liveMetrics(windowMs: 60000) { windowMs routes { key requests successRate p95Ms } classes { key } } }';
    const { liveMetrics } = expectData(await tb.gql(q, {}, viewerKey));
    expect(liveMetrics.windowMs).toBe(60_000);
    expect(liveMetrics.routes).toContainEqual(expect.objectContaining({ key: 'gpt-4o', successRate: 1 }));
    expect(liveMetrics.classes).toContainEqual({ key: 'critical' });
    expectError(await tb.gql(q, {}, acmeKey), 'FORBIDDEN');
    expectError(await tb.gql('{ liveMetrics(windowMs: 5) { windowMs } }'), 'BAD_USER_INPUT');
  });
});
