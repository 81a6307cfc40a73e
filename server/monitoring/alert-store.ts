import { and, count, desc, eq, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { alertEvents, alertRules, budgets } from '../../drizzle/schema/index.js';
import {
  AlertRuleSchema,
  AlertScopeSchema,
  type AlertEvent,
  type AlertMetric,
  type AlertRule,
  type AlertRuleInput,
  type Severity,
} from '../../shared/contracts/alert.js';

/** An event as stored: the transition plus who acknowledged it, and when. */
export interface StoredAlertEvent extends AlertEvent {
  acknowledgedAtMs: number | null;
  /** The API key id that acknowledged it. */
  acknowledgedBy: string | null;
}

/** Filters for `listEvents`; `tenantId: null` means global events only, undefined means any. */
export interface AlertEventQuery {
  first: number;
  tenantId?: string | null;
  severity?: Severity;
  state?: AlertEvent['state'];
  /** Events strictly older than this, in epoch milliseconds (paging). */
  beforeMs?: number;
}

type RuleRow = typeof alertRules.$inferSelect;
type EventRow = typeof alertEvents.$inferSelect;

const toRule = (r: RuleRow): AlertRule => ({
  id: r.id,
  tenantId: r.tenantId,
  name: r.name,
  metric: r.metric as AlertMetric,
  scope: AlertScopeSchema.parse(r.scope),
  windowMs: r.windowMs as AlertRule['windowMs'],
  comparator: r.comparator,
  threshold: r.threshold,
  minSample: r.minSample,
  cooldownMs: r.cooldownMs,
  severity: r.severity,
  enabled: r.enabled,
});

const toEvent = (r: EventRow): StoredAlertEvent => ({
  id: r.id,
  ruleId: r.ruleId,
  ruleName: r.ruleName,
  tenantId: r.tenantId,
  severity: r.severity,
  state: r.state,
  metric: r.metric as AlertMetric,
  subject: r.subject,
  value: r.value ?? 0,
  threshold: r.threshold,
  message: r.message,
  atMs: r.createdAt.getTime(),
  acknowledgedAtMs: r.acknowledgedAt?.getTime() ?? null,
  acknowledgedBy: r.acknowledgedBy,
});

const ruleValues = (rule: AlertRule) => ({
  tenantId: rule.tenantId,
  name: rule.name,
  metric: rule.metric,
  scope: rule.scope,
  windowMs: rule.windowMs,
  comparator: rule.comparator,
  threshold: rule.threshold,
  minSample: rule.minSample,
  cooldownMs: rule.cooldownMs,
  severity: rule.severity,
  enabled: rule.enabled,
});

/**
 * Alert rules and events in Postgres. Rules are soft-deleted, so `ensureSeed` can tell a new install (no row at all)
 * from one whose operator deleted every rule.
 */
export function createAlertStore(db: Database) {
  const live = isNull(alertRules.deletedAt);
  return {
    /** Inserts `defaults` when the table has never held a rule; returns how many were inserted. */
    async ensureSeed(defaults: readonly AlertRuleInput[]): Promise<number> {
      const [row] = await db.select({ n: count() }).from(alertRules);
      if ((row?.n ?? 0) > 0) return 0;
      const rules = defaults.map((d) => AlertRuleSchema.parse(d));
      const at = Date.now();
      await db
        .insert(alertRules)
        // A millisecond apart, so listings (oldest first) keep the order the defaults are written in.
        .values(rules.map((r, i) => ({ id: r.id, ...ruleValues(r), createdAt: new Date(at + i) })))
        .onConflictDoNothing();
      return rules.length;
    },

    /**
     * Live rules; with `tenantId`, that tenant's rules and the global ones, except global rules whose scope names
     * another tenant: those watch that tenant, whose id and settings must not show to this one.
     */
    async listRules(filter: { tenantId?: string } = {}): Promise<AlertRule[]> {
      const scopeTenant = sql`${alertRules.scope}->>'tenantId'`;
      const tenant = filter.tenantId
        ? or(
            eq(alertRules.tenantId, filter.tenantId),
            and(isNull(alertRules.tenantId), or(sql`${scopeTenant} is null`, sql`${scopeTenant} = ${filter.tenantId}`)),
          )
        : undefined;
      const rows = await db
        .select()
        .from(alertRules)
        .where(and(live, tenant))
        .orderBy(alertRules.createdAt, alertRules.id);
      return rows.map(toRule);
    },

    async getRule(id: string): Promise<AlertRule | undefined> {
      const [row] = await db
        .select()
        .from(alertRules)
        .where(and(eq(alertRules.id, id), live));
      return row && toRule(row);
    },

    async createRule(rule: AlertRule): Promise<AlertRule> {
      const [row] = await db
        .insert(alertRules)
        .values({ id: rule.id, ...ruleValues(rule) })
        .returning();
      return toRule(row!);
    },

    async updateRule(rule: AlertRule): Promise<AlertRule | undefined> {
      const [row] = await db
        .update(alertRules)
        .set({ ...ruleValues(rule), updatedAt: new Date() })
        .where(and(eq(alertRules.id, rule.id), live))
        .returning();
      return row && toRule(row);
    },

    /** Soft-deletes a rule; false when there was no live rule with that id. */
    async deleteRule(id: string): Promise<boolean> {
      const rows = await db
        .update(alertRules)
        .set({ deletedAt: new Date(), enabled: false })
        .where(and(eq(alertRules.id, id), live))
        .returning({ id: alertRules.id });
      return rows.length > 0;
    },

    async insertEvents(events: readonly AlertEvent[]): Promise<void> {
      if (events.length === 0) return;
      await db.insert(alertEvents).values(
        events.map((e) => ({
          id: e.id,
          ruleId: e.ruleId,
          ruleName: e.ruleName,
          tenantId: e.tenantId,
          severity: e.severity,
          state: e.state,
          metric: e.metric,
          subject: e.subject,
          // A non-finite reading (a zero budget limit reads as Infinity) cannot be stored as numeric.
          value: Number.isFinite(e.value) ? e.value : null,
          threshold: e.threshold,
          message: e.message,
          createdAt: new Date(e.atMs),
        })),
      );
    },

    /** Tenants with a budget: the subjects of budget rules. */
    async budgetTenants(): Promise<string[]> {
      const rows = await db.select({ tenantId: budgets.tenantId }).from(budgets).orderBy(budgets.tenantId);
      return rows.map((r) => r.tenantId);
    },

    /** Newest first. */
    async listEvents(q: AlertEventQuery): Promise<StoredAlertEvent[]> {
      const where: (SQL | undefined)[] = [
        q.tenantId === null
          ? isNull(alertEvents.tenantId)
          : q.tenantId !== undefined
            ? eq(alertEvents.tenantId, q.tenantId)
            : undefined,
        q.severity && eq(alertEvents.severity, q.severity),
        q.state && eq(alertEvents.state, q.state),
        q.beforeMs !== undefined ? lt(alertEvents.createdAt, new Date(q.beforeMs)) : undefined,
      ];
      const rows = await db
        .select()
        .from(alertEvents)
        .where(and(...where))
        .orderBy(desc(alertEvents.createdAt), desc(alertEvents.id))
        .limit(q.first);
      return rows.map(toEvent);
    },

    async getEvent(id: string): Promise<StoredAlertEvent | undefined> {
      const [row] = await db.select().from(alertEvents).where(eq(alertEvents.id, id));
      return row && toEvent(row);
    },

    /** Stamps the event acknowledged (the first acknowledgement wins); undefined when there is no such event. */
    async acknowledge(id: string, by: string | null, atMs: number): Promise<StoredAlertEvent | undefined> {
      const [row] = await db
        .update(alertEvents)
        .set({
          acknowledgedAt: sql`coalesce(${alertEvents.acknowledgedAt}, ${new Date(atMs).toISOString()}::timestamptz)`,
          acknowledgedBy: sql`coalesce(${alertEvents.acknowledgedBy}, ${by})`,
        })
        .where(eq(alertEvents.id, id))
        .returning();
      return row && toEvent(row);
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
