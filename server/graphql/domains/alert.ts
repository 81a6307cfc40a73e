import { randomUUID } from 'node:crypto';
import { filter, pipe } from 'graphql-yoga';
import { z } from 'zod';
import {
  ALERT_METRICS,
  AlertRuleSchema,
  SEVERITIES,
  type AlertEvent,
  type AlertRule,
  type AlertScope,
} from '../../../shared/contracts/alert.js';
import { eventTenant } from '../../monitoring/alert-service.js';
import type { StoredAlertEvent } from '../../monitoring/alert-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, tenantScope, type GraphQLContext } from '../context.js';
import { clientError } from '../errors.js';
import { badInput, parseInput, withoutNulls } from '../validation.js';
import { TrafficClassEnum } from './completion.js';

// Visibility, one rule everywhere: an event belongs to the tenant of its rule or of its subject (`tenant:<id>`).
// Tenant keys see only their tenant's events; events with no tenant (route, breaker, synthetic and global traffic
// alerts) are for staff only, as they describe the shared gateway rather than one tenant.

const SeverityEnum = builder.enumType('AlertSeverity', { values: SEVERITIES });
const MetricEnum = builder.enumType('AlertMetric', { values: ALERT_METRICS });
const ComparatorEnum = builder.enumType('AlertComparator', { values: ['gt', 'lt'] as const });
const StateEnum = builder.enumType('AlertState', { values: ['fired', 'resolved'] as const });

const AlertScopeRef = builder.objectRef<AlertScope>('AlertScope').implement({
  description: 'The traffic a rule watches; empty fields mean "any". Route metrics fan out per route.',
  fields: (t) => ({
    routeId: t.string({ nullable: true, resolve: (s) => s.routeId ?? null }),
    model: t.string({ nullable: true, resolve: (s) => s.model ?? null }),
    trafficClass: t.field({ type: TrafficClassEnum, nullable: true, resolve: (s) => s.trafficClass ?? null }),
    tenantId: t.id({ nullable: true, resolve: (s) => s.tenantId ?? null }),
    tier: t.int({ nullable: true, description: '0 is the primary tier.', resolve: (s) => s.tier ?? null }),
  }),
});

const AlertRuleRef = builder.objectRef<AlertRule>('AlertRule').implement({
  description: 'A threshold on a live metric. Rates are fractions (0 to 1), latency milliseconds.',
  fields: (t) => ({
    id: t.exposeID('id'),
    tenantId: t.exposeID('tenantId', { nullable: true, description: 'Null for a global rule.' }),
    name: t.exposeString('name'),
    metric: t.field({ type: MetricEnum, resolve: (r) => r.metric }),
    scope: t.field({ type: AlertScopeRef, resolve: (r) => r.scope }),
    windowMs: t.exposeInt('windowMs', { description: 'Rolling window, in milliseconds: 60000, 300000 or 3600000.' }),
    comparator: t.field({ type: ComparatorEnum, resolve: (r) => r.comparator }),
    threshold: t.exposeFloat('threshold'),
    minSample: t.exposeInt('minSample', { description: 'Samples the window needs before the rule may fire.' }),
    cooldownMs: t.exposeInt('cooldownMs', { description: 'Quiet time after a resolve, in milliseconds.' }),
    severity: t.field({ type: SeverityEnum, resolve: (r) => r.severity }),
    enabled: t.exposeBoolean('enabled'),
  }),
});

type EventShape = AlertEvent & Partial<Pick<StoredAlertEvent, 'acknowledgedAtMs' | 'acknowledgedBy'>>;

const AlertEventRef = builder.objectRef<EventShape>('AlertEvent').implement({
  description: 'One transition of a rule for one subject: fired once per episode, then resolved.',
  fields: (t) => ({
    id: t.exposeID('id'),
    ruleId: t.exposeID('ruleId'),
    ruleName: t.exposeString('ruleName'),
    tenantId: t.exposeID('tenantId', { nullable: true, description: 'Null for gateway-wide events (staff only).' }),
    severity: t.field({ type: SeverityEnum, resolve: (e) => e.severity }),
    state: t.field({ type: StateEnum, resolve: (e) => e.state }),
    metric: t.field({ type: MetricEnum, resolve: (e) => e.metric }),
    subject: t.exposeString('subject', {
      description: 'What it is about: `route:<id>`, `tenant:<id>`, `instance:<id>` (Redis reachability) or `all`.',
    }),
    value: t.exposeFloat('value'),
    threshold: t.exposeFloat('threshold'),
    message: t.exposeString('message'),
    at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.atMs) }),
    acknowledgedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (e) => (e.acknowledgedAtMs ? new Date(e.acknowledgedAtMs) : null),
    }),
    acknowledgedBy: t.id({
      nullable: true,
      description: 'The API key id that acknowledged it.',
      resolve: (e) => e.acknowledgedBy ?? null,
    }),
  }),
});

const AlertScopeInput = builder.inputType('AlertScopeInput', {
  fields: (t) => ({
    routeId: t.string(),
    model: t.string(),
    trafficClass: t.field({ type: TrafficClassEnum }),
    tenantId: t.id(),
    tier: t.int(),
  }),
});

const ruleFields = (required: boolean) =>
  builder.inputType(required ? 'CreateAlertRuleInput' : 'UpdateAlertRuleInput', {
    description: required ? 'Omitted fields take the defaults of AlertRuleSchema.' : 'Only the fields given change.',
    fields: (t) => ({
      tenantId: t.id({ description: 'A tenant rule watches that tenant only; omit for a global rule.' }),
      name: t.string({ required }),
      metric: t.field({ type: MetricEnum, required }),
      scope: t.field({ type: AlertScopeInput }),
      windowMs: t.int({ description: '60000, 300000 or 3600000. Defaults to 300000.' }),
      comparator: t.field({ type: ComparatorEnum, required }),
      threshold: t.float({ required }),
      minSample: t.int({ description: 'Defaults to 20.' }),
      cooldownMs: t.int({ description: 'In milliseconds. Defaults to 300000.' }),
      severity: t.field({ type: SeverityEnum, description: 'Defaults to warning.' }),
      enabled: t.boolean(),
    }),
  });
const CreateAlertRuleInput = ruleFields(true);
const UpdateAlertRuleInput = ruleFields(false);

/**
 * Parses a whole rule, then checks what zod cannot: the tenant and the scope's route exist, and a tenant's rule
 * watches only that tenant (its events are shown to the tenant, so they must not carry another tenant's figures).
 */
async function validRule(ctx: GraphQLContext, input: Record<string, unknown>): Promise<AlertRule> {
  const rule = parseInput(AlertRuleSchema, input, 'input');
  if (rule.tenantId && !(await ctx.services.tenants.getTenant(rule.tenantId)))
    throw badInput([{ path: 'input.tenantId', message: `no tenant "${rule.tenantId}"` }]);
  if (rule.tenantId && rule.scope.tenantId && rule.scope.tenantId !== rule.tenantId)
    throw badInput([
      { path: 'input.scope.tenantId', message: `a rule of tenant "${rule.tenantId}" can only watch that tenant` },
    ]);
  if (rule.scope.routeId && !ctx.services.config.routes.has(rule.scope.routeId))
    throw badInput([{ path: 'input.scope.routeId', message: `no route "${rule.scope.routeId}"` }]);
  return rule;
}

/** The input with GraphQL nulls dropped, the nested scope too. */
function cleaned(input: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = withoutNulls(input);
  if (flat.scope && typeof flat.scope === 'object') flat.scope = withoutNulls(flat.scope as Record<string, unknown>);
  return flat;
}

/** Whether the caller may see an event: staff see all; tenant keys only their own tenant's. */
function canSee(ctx: GraphQLContext, event: Pick<AlertEvent, 'tenantId' | 'subject'>): boolean {
  const p = assertAuthenticated(ctx);
  return p.role !== 'tenant' || eventTenant(event) === p.tenantId;
}

const eventId = (id: unknown) => parseInput(z.uuid('not an alert event id'), String(id), 'id');

builder.queryFields((t) => ({
  alertRules: t.field({
    type: [AlertRuleRef],
    description: 'Rules, oldest first. Tenant keys see their tenant’s rules and the global ones.',
    args: { tenantId: t.arg.id({ description: 'Staff: that tenant’s rules and the global ones.' }) },
    resolve: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      return ctx.services.monitoring.alertStore.listRules(tenantId ? { tenantId } : {});
    },
  }),
  alertEvents: t.field({
    type: [AlertEventRef],
    description: 'Fired and resolved events, newest first. Tenant keys see only their tenant’s events.',
    args: {
      first: t.arg.int({ description: 'How many, 1 to 500. Defaults to 50.' }),
      severity: t.arg({ type: SeverityEnum }),
      tenantId: t.arg.id(),
      state: t.arg({ type: StateEnum }),
      before: t.arg({ type: 'DateTime', description: 'Only events older than this (paging).' }),
    },
    resolve: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const first = parseInput(z.number().int().min(1).max(500), args.first ?? 50, 'first');
      return ctx.services.monitoring.alertStore.listEvents({
        first,
        ...(tenantId && { tenantId }),
        ...(args.severity && { severity: args.severity }),
        ...(args.state && { state: args.state }),
        ...(args.before && { beforeMs: args.before.getTime() }),
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  createAlertRule: t.field({
    type: AlertRuleRef,
    description: 'Admins only. Nothing is written when the input is invalid.',
    args: { input: t.arg({ type: CreateAlertRuleInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const actor = assertAdmin(ctx);
      const rule = await validRule(ctx, { ...cleaned(input), id: randomUUID() });
      const created = await ctx.services.monitoring.alertStore.createRule(rule);
      await ctx.services.tenants.audit(actor, 'alert_rule.created', rule.id, rule.tenantId, rule);
      return created;
    },
  }),
  updateAlertRule: t.field({
    type: AlertRuleRef,
    description: 'Admins only. The merged rule is validated as a whole before anything is written.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateAlertRuleInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => {
      const actor = assertAdmin(ctx);
      const store = ctx.services.monitoring.alertStore;
      const existing = await store.getRule(String(id));
      if (!existing) throw clientError('NOT_FOUND', `no alert rule "${id}"`);
      const patch = cleaned(input);
      const rule = await validRule(ctx, {
        ...existing,
        ...patch,
        scope: patch.scope ?? existing.scope,
        id: existing.id,
      });
      const updated = await store.updateRule(rule);
      if (!updated) throw clientError('NOT_FOUND', `no alert rule "${id}"`);
      await ctx.services.tenants.audit(actor, 'alert_rule.updated', rule.id, rule.tenantId, patch);
      return updated;
    },
  }),
  deleteAlertRule: t.boolean({
    description: 'Admins only. What the rule is firing for resolves (events are sent), then the rule is gone.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const actor = assertAdmin(ctx);
      const { alertStore, alerts } = ctx.services.monitoring;
      const rule = await alertStore.getRule(String(id));
      if (!rule || !(await alertStore.deleteRule(rule.id))) throw clientError('NOT_FOUND', `no alert rule "${id}"`);
      await alerts.retire(rule);
      await ctx.services.tenants.audit(actor, 'alert_rule.deleted', rule.id, rule.tenantId);
      return true;
    },
  }),
  acknowledgeAlert: t.field({
    type: AlertEventRef,
    description: 'Admins, or a tenant key for its own tenant’s events. The first acknowledgement is kept.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const actor = assertAuthenticated(ctx);
      if (actor.role === 'viewer') throw clientError('FORBIDDEN', 'viewer keys are read-only');
      const store = ctx.services.monitoring.alertStore;
      const event = await store.getEvent(eventId(id));
      // An event the caller may not see is reported as missing, so ids do not leak across tenants.
      if (!event || !canSee(ctx, event)) throw clientError('NOT_FOUND', `no alert event "${id}"`);
      return (await store.acknowledge(event.id, actor.keyId, ctx.services.clock.now()))!;
    },
  }),
}));

builder.subscriptionField('alerts', (t) =>
  t.field({
    type: AlertEventRef,
    description:
      'Alert transitions as they happen (fired and resolved). Tenant keys receive their tenant’s events only; ' +
      'gateway-wide events (no tenant) go to staff only.',
    args: {
      tenantId: t.arg.id({ description: 'Staff: only this tenant’s events.' }),
      severity: t.arg({ type: SeverityEnum, description: 'Only events of this severity.' }),
    },
    subscribe: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const source = ctx.services.monitoring.pubsub.subscribe('alert:fired');
      return pipe(
        source,
        filter(
          (e: AlertEvent) =>
            canSee(ctx, e) &&
            (tenantId === undefined || eventTenant(e) === tenantId) &&
            (!args.severity || e.severity === args.severity),
        ),
      );
    },
    resolve: (event) => event,
  }),
);
