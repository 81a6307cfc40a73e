import type { AlertEvent, AlertMetric, AlertRule } from '../contracts/alert.js';
import type { Clock } from '../engine/ports.js';

/**
 * What a rule reads for one subject. `threshold`, when set, replaces the rule's threshold for this subject (e.g. a
 * route's own latency SLO, see `routeSloThreshold`).
 */
export interface AlertReading {
  value: number | undefined;
  sample: number;
  threshold?: number;
}

export interface AlertEvaluatorOptions {
  clock: Clock;
  /** Id for each emitted event. */
  newId: () => string;
}

/** One rule + subject pair the evaluator remembers: firing, or resolved and possibly cooling down. */
export interface AlertEpisodeState {
  ruleId: string;
  subject: string;
  /** When it fired, in epoch milliseconds; null once resolved. */
  firingSinceMs: number | null;
  /** When it last resolved, in epoch milliseconds; null while it has never resolved. */
  resolvedAtMs: number | null;
  /** The last value read while firing, reported again if it resolves for lack of data. */
  value: number;
  threshold: number;
}

/** The evaluator's whole memory as plain JSON, so it can be stored or handed to another instance. */
export interface AlertEvaluatorState {
  version: 1;
  episodes: AlertEpisodeState[];
}

export interface FiringAlert {
  ruleId: string;
  subject: string;
  sinceMs: number;
}

export interface AlertEvaluator {
  /**
   * Reads every enabled rule for each of its subjects (plus subjects it is firing for) and returns only transitions:
   * `fired` when the comparator holds on at least `minSample` (and 1) samples outside the cooldown after the last
   * resolve, `resolved` when a firing pair no longer breaches or has no sample. Disabled rules resolve what they fire.
   * Rules not passed are left as they are, so rules may be evaluated in several calls.
   */
  evaluate(
    rules: AlertRule[],
    read: (rule: AlertRule, subject: string) => AlertReading,
    subjectsOf: (rule: AlertRule) => string[],
  ): AlertEvent[];
  firing(): FiringAlert[];
  /** Drops everything remembered for a deleted rule, without an event. */
  forget(ruleId: string): void;
  exportState(): AlertEvaluatorState;
  importState(state: AlertEvaluatorState): void;
}

const LABELS: Record<AlertMetric, string> = {
  error_rate: 'error rate',
  success_rate: 'success rate',
  fallback_rate: 'fallback rate',
  p95_latency_ms: 'p95 latency',
  budget_used_fraction: 'budget used',
  breaker_open: 'breaker open',
  synthetic_failures: 'synthetic failures in a row',
  redis_unreachable: 'Redis unreachable',
};
const RATES: ReadonlySet<AlertMetric> = new Set([
  'error_rate',
  'success_rate',
  'fallback_rate',
  'budget_used_fraction',
]);
const WINDOW_LABELS: Record<number, string> = { 60_000: '1 min', 300_000: '5 min', 3_600_000: '1 h' };

function formatValue(metric: AlertMetric, value: number): string {
  if (RATES.has(metric)) return `${Number((value * 100).toFixed(2))}%`;
  if (metric === 'p95_latency_ms') return `${Math.round(value)} ms`;
  return String(Number(value.toFixed(2)));
}

/**
 * The event text, e.g. "error rate 12.5% > 2% on route:gpt-4o (5 min, 40 calls)": the error rate counts calls, other
 * traffic metrics requests. Budget and breaker readings come from state, not traffic: they carry no window or sample.
 */
export function alertMessage(
  rule: AlertRule,
  state: 'fired' | 'resolved',
  subject: string,
  value: number | undefined,
  threshold: number,
  sample: number,
): string {
  const sign = rule.comparator === 'gt' ? '>' : '<';
  const label = LABELS[rule.metric];
  const window = WINDOW_LABELS[rule.windowMs] ?? `${rule.windowMs / 1000} s`;
  const noun = rule.metric === 'synthetic_failures' ? 'probes' : rule.metric === 'error_rate' ? 'calls' : 'requests';
  const fromState =
    rule.metric === 'budget_used_fraction' || rule.metric === 'breaker_open' || rule.metric === 'redis_unreachable';
  if (value === undefined) return `no data for ${label} on ${subject}${fromState ? '' : ` (${window})`}: resolved`;
  const context = fromState
    ? ''
    : rule.metric === 'synthetic_failures'
      ? ` (${window})`
      : ` (${window}, ${sample} ${noun})`;
  const check = `${state === 'resolved' ? 'no longer ' : ''}${sign} ${formatValue(rule.metric, threshold)}`;
  return `${label} ${formatValue(rule.metric, value)} ${check} on ${subject}${context}`;
}

const keyOf = (ruleId: string, subject: string) => JSON.stringify([ruleId, subject]);

/**
 * Threshold alerts with memory: each rule + subject fires once per episode and resolves once.
 * @example
 * const alerts = createAlertEvaluator({ clock, newId: randomUUID });
 * for (const event of alerts.evaluate(rules, read, subjectsOf)) publish(event);
 */
export function createAlertEvaluator({ clock, newId }: AlertEvaluatorOptions): AlertEvaluator {
  let episodes = new Map<string, AlertEpisodeState>();

  const event = (
    rule: AlertRule,
    episode: AlertEpisodeState,
    state: 'fired' | 'resolved',
    reading: AlertReading,
    nowMs: number,
    message = alertMessage(rule, state, episode.subject, reading.value, episode.threshold, reading.sample),
  ): AlertEvent => ({
    id: newId(),
    ruleId: rule.id,
    ruleName: rule.name,
    tenantId: rule.tenantId,
    severity: rule.severity,
    state,
    metric: rule.metric,
    subject: episode.subject,
    value: reading.value ?? episode.value,
    threshold: episode.threshold,
    message,
    atMs: nowMs,
  });

  const resolve = (
    rule: AlertRule,
    episode: AlertEpisodeState,
    reading: AlertReading,
    nowMs: number,
    message?: string,
  ) => {
    const resolved = { ...episode, firingSinceMs: null, resolvedAtMs: nowMs, value: reading.value ?? episode.value };
    episodes.set(keyOf(rule.id, episode.subject), resolved);
    return event(rule, episode, 'resolved', reading, nowMs, message);
  };

  const ofRule = (ruleId: string) => [...episodes.values()].filter((e) => e.ruleId === ruleId);

  return {
    evaluate(rules, read, subjectsOf) {
      const nowMs = clock.now();
      const events: AlertEvent[] = [];
      for (const rule of rules) {
        // Resolved pairs past their cooldown carry nothing the next firing needs.
        for (const e of ofRule(rule.id)) {
          if (e.firingSinceMs === null && (e.resolvedAtMs === null || nowMs >= e.resolvedAtMs + rule.cooldownMs)) {
            episodes.delete(keyOf(e.ruleId, e.subject));
          }
        }
        const known = ofRule(rule.id);
        if (!rule.enabled) {
          for (const e of known) {
            if (e.firingSinceMs === null) continue;
            const message = `rule disabled: ${LABELS[rule.metric]} on ${e.subject}: resolved`;
            events.push(resolve(rule, e, { value: undefined, sample: 0 }, nowMs, message));
          }
          continue;
        }
        // Firing subjects are read again even when no longer listed (an evicted route), so they can resolve.
        const firingSubjects = known.filter((e) => e.firingSinceMs !== null).map((e) => e.subject);
        for (const subject of new Set([...subjectsOf(rule), ...firingSubjects])) {
          const key = keyOf(rule.id, subject);
          const episode = episodes.get(key);
          const reading = read(rule, subject);
          const threshold = reading.threshold ?? rule.threshold;
          const { value } = reading;
          const breaching =
            value !== undefined &&
            reading.sample > 0 &&
            (rule.comparator === 'gt' ? value > threshold : value < threshold);
          if (episode && episode.firingSinceMs !== null) {
            if (!breaching) events.push(resolve(rule, { ...episode, threshold }, reading, nowMs));
            else episodes.set(key, { ...episode, value, threshold });
            continue;
          }
          // A resolved pair still held is inside its cooldown: the pruning above dropped the others.
          if (!breaching || episode || reading.sample < rule.minSample) continue;
          const fired: AlertEpisodeState = {
            ruleId: rule.id,
            subject,
            firingSinceMs: nowMs,
            resolvedAtMs: null,
            value,
            threshold,
          };
          episodes.set(key, fired);
          events.push(event(rule, fired, 'fired', reading, nowMs));
        }
      }
      return events;
    },

    firing: () =>
      [...episodes.values()]
        .filter((e) => e.firingSinceMs !== null)
        .map((e) => ({ ruleId: e.ruleId, subject: e.subject, sinceMs: e.firingSinceMs! })),

    forget(ruleId) {
      for (const e of ofRule(ruleId)) episodes.delete(keyOf(e.ruleId, e.subject));
    },

    exportState: () => ({ version: 1, episodes: [...episodes.values()].map((e) => ({ ...e })) }),

    importState(state) {
      episodes = new Map(state.episodes.map((e) => [keyOf(e.ruleId, e.subject), { ...e }]));
    },
  };
}
