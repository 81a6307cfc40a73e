import { AlertRuleSchema, type AlertMetric, type Severity } from '../../shared/contracts/alert.js';
import type { TrafficClass } from '../../shared/contracts/policy.js';
import { metricUnit, WINDOWS } from '../pages/alerts-data.js';

/** The rule form as typed: numbers as text, blank scope fields for "any", blank tenant for a global rule. */
export interface RuleDraft {
  name: string;
  metric: AlertMetric;
  comparator: 'gt' | 'lt';
  threshold: string;
  windowMs: string;
  minSample: string;
  cooldownMs: string;
  severity: Severity;
  enabled: boolean;
  tenantId: string;
  routeId: string;
  model: string;
  trafficClass: TrafficClass | '';
  tier: string;
  /** Not in the form; kept so an edit does not drop a scope tenant set through the API. */
  scopeTenantId: string;
}
export type RuleField = keyof RuleDraft;

/** `createAlertRule`'s input (and a whole `updateAlertRule` patch). Windows and cooldowns in milliseconds. */
export interface RuleInput {
  name: string;
  metric: AlertMetric;
  comparator: 'gt' | 'lt';
  threshold: number;
  windowMs: number;
  minSample: number;
  cooldownMs: number;
  severity: Severity;
  enabled: boolean;
  tenantId?: string;
  scope: { routeId?: string; model?: string; trafficClass?: TrafficClass; tenantId?: string; tier?: number };
}

/** Messages by field; `form` for one no field owns. */
export type RuleErrors = Partial<Record<RuleField | 'form', string>>;
export type RuleDraftResult = { ok: true; input: RuleInput } | { ok: false; errors: RuleErrors };

/** A new rule's form, with AlertRuleSchema's defaults. */
export function emptyRuleDraft(): RuleDraft {
  return {
    name: '',
    metric: 'error_rate',
    comparator: 'gt',
    threshold: '',
    windowMs: '300000',
    minSample: '20',
    cooldownMs: '300000',
    severity: 'warning',
    enabled: true,
    tenantId: '',
    routeId: '',
    model: '',
    trafficClass: '',
    tier: '',
    scopeTenantId: '',
  };
}

/** What a stored rule looks like to the form (the AlertRule fields the form reads). */
export interface RuleView {
  name: string;
  metric: AlertMetric;
  comparator: 'gt' | 'lt';
  threshold: number;
  windowMs: number;
  minSample: number;
  cooldownMs: number;
  severity: Severity;
  enabled: boolean;
  tenantId: string | null;
  scope: {
    routeId: string | null;
    model: string | null;
    trafficClass: TrafficClass | null;
    tenantId: string | null;
    tier: number | null;
  };
}

export function ruleDraftOf(rule: RuleView): RuleDraft {
  return {
    name: rule.name,
    metric: rule.metric,
    comparator: rule.comparator,
    threshold: String(rule.threshold),
    windowMs: String(rule.windowMs),
    minSample: String(rule.minSample),
    cooldownMs: String(rule.cooldownMs),
    severity: rule.severity,
    enabled: rule.enabled,
    tenantId: rule.tenantId ?? '',
    routeId: rule.scope.routeId ?? '',
    model: rule.scope.model ?? '',
    trafficClass: rule.scope.trafficClass ?? '',
    tier: rule.scope.tier === null ? '' : String(rule.scope.tier),
    scopeTenantId: rule.scope.tenantId ?? '',
  };
}

const wholeNumber = (text: string): number | undefined => {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : undefined;
};

function checkThreshold(draft: RuleDraft): string | number {
  const text = draft.threshold.trim();
  if (text === '') return 'Enter a threshold.';
  const n = Number(text);
  if (!Number.isFinite(n)) return 'The threshold must be a number.';
  const unit = metricUnit(draft.metric);
  if (unit === 'fraction' && (n < 0 || n > 1))
    return 'Rates are fractions: enter a threshold between 0 and 1 (0.02 is 2%).';
  if (unit === 'ms' && n < 0) return 'A latency threshold cannot be negative.';
  return n;
}

/** Checks the form as AlertRuleSchema will, with messages that say what to enter. */
export function parseRuleDraft(draft: RuleDraft): RuleDraftResult {
  const errors: RuleErrors = {};
  const name = draft.name.trim();
  if (name === '') errors.name = 'Give the rule a name.';
  else if (name.length > 200) errors.name = 'Keep the name to 200 characters or fewer.';
  const threshold = checkThreshold(draft);
  if (typeof threshold === 'string') errors.threshold = threshold;
  const windowMs = Number(draft.windowMs);
  if (!WINDOWS.some((w) => w.ms === windowMs)) errors.windowMs = 'Choose a window of 1 min, 5 min or 1 h.';
  const minSample = wholeNumber(draft.minSample);
  if (minSample === undefined) errors.minSample = 'The minimum sample must be a whole number, 0 or more.';
  const cooldownMs = wholeNumber(draft.cooldownMs);
  if (cooldownMs === undefined) errors.cooldownMs = 'The cooldown must be a whole number of milliseconds, 0 or more.';
  const tier = draft.tier.trim() === '' ? null : wholeNumber(draft.tier);
  if (tier === undefined) errors.tier = 'The tier must be a whole number: 0 for primary, 1 for fallback 1, …';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const scope: RuleInput['scope'] = {};
  if (draft.routeId.trim()) scope.routeId = draft.routeId.trim();
  if (draft.model.trim()) scope.model = draft.model.trim();
  if (draft.trafficClass) scope.trafficClass = draft.trafficClass;
  if (draft.scopeTenantId) scope.tenantId = draft.scopeTenantId;
  if (tier !== null && tier !== undefined) scope.tier = tier;
  const input: RuleInput = {
    name,
    metric: draft.metric,
    comparator: draft.comparator,
    threshold: threshold as number,
    windowMs,
    minSample: minSample!,
    cooldownMs: cooldownMs!,
    severity: draft.severity,
    enabled: draft.enabled,
    ...(draft.tenantId && { tenantId: draft.tenantId }),
    scope,
  };
  // The shared contract has the last word, should it gain a rule the checks above do not know.
  const checked = AlertRuleSchema.safeParse({ ...input, id: 'draft' });
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = String(issue.path.at(-1));
      errors[field in input || field in scope ? (field as RuleField) : 'form'] ??= issue.message;
    }
    return { ok: false, errors };
  }
  return { ok: true, input };
}
