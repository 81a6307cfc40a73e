import type { BudgetBand } from '../contracts/budget.js';
import type { CompletionRequest, DegradedReason } from '../contracts/completion.js';
import type { AttemptRecord, CanaryArm, Decision, DecisionOutcome } from '../contracts/decision.js';
import type { TrafficClass } from '../contracts/policy.js';
import type { RouteSpec } from '../contracts/route.js';
import type { EventEmitter } from './events.js';

/** Collects attempts while a request runs and turns them into the final Decision. */
export class DecisionDraft {
  readonly attempts: AttemptRecord[] = [];
  readonly degradedReasons: DegradedReason[] = [];
  originalRouteId: string | null = null;
  /** Set once the final decision is built; a request records one decision. */
  finished = false;
  /** The deferred job this run belongs to, stamped on the decision whatever its outcome. */
  jobId: string | undefined;
  /** The canary running for the request's scope and the arm it was put on, stamped on the decision. */
  canary: { id: string; arm: CanaryArm } | undefined;

  constructor(
    readonly id: string,
    readonly tenantId: string,
    readonly request: CompletionRequest,
    readonly startedAtMs: number,
    readonly policyVersion: number,
    private readonly onAttempt: EventEmitter<{ decisionId: string; attempt: AttemptRecord }>,
    public trafficClass: TrafficClass = request.trafficClass,
    public sensitive = request.sensitive,
    public budgetBand: BudgetBand = 'normal',
  ) {}

  /** Appends an attempt (or skip), fills index and defaults, and emits `onAttempt`. */
  add(
    route: RouteSpec,
    tier: number,
    fields: Partial<AttemptRecord> & Pick<AttemptRecord, 'outcome' | 'startedAtMs'>,
  ): AttemptRecord {
    this.originalRouteId ??= route.id;
    const attempt: AttemptRecord = {
      index: this.attempts.length,
      tier,
      routeId: route.id,
      provider: route.provider,
      model: route.model,
      retry: 0,
      breakerState: 'closed',
      latencyMs: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      ...fields,
    };
    this.attempts.push(attempt);
    this.onAttempt.emit({ decisionId: this.id, attempt });
    return attempt;
  }

  reason(r: DegradedReason): void {
    if (!this.degradedReasons.includes(r)) this.degradedReasons.push(r);
  }

  /** Upstream calls made (skips are not calls). */
  get calls(): number {
    return this.attempts.filter((a) => a.outcome !== 'skipped').length;
  }

  finish(
    nowMs: number,
    end: {
      outcome: DecisionOutcome;
      finalRouteId?: string | null;
      finalTier?: number | null;
      errorCode?: string;
      jobId?: string;
    },
  ): Decision {
    this.finished = true;
    const sum = (k: 'costUsd' | 'inputTokens' | 'outputTokens') => this.attempts.reduce((s, a) => s + a[k], 0);
    const r = this.request;
    const jobId = end.jobId ?? this.jobId;
    return {
      id: this.id,
      tenantId: this.tenantId,
      ...(r.userId !== undefined && { userId: r.userId }),
      ...(r.appId !== undefined && { appId: r.appId }),
      ...(r.featureId !== undefined && { featureId: r.featureId }),
      ...(r.workflowId !== undefined && { workflowId: r.workflowId }),
      trafficClass: this.trafficClass,
      policyVersion: this.policyVersion,
      sensitive: this.sensitive,
      outcome: end.outcome,
      originalRouteId: this.originalRouteId,
      finalRouteId: end.finalRouteId ?? null,
      finalTier: end.finalTier ?? null,
      degraded: this.degradedReasons.length > 0,
      degradedReasons: [...this.degradedReasons],
      ...(end.errorCode !== undefined && { errorCode: end.errorCode }),
      budgetBand: this.budgetBand,
      attempts: this.attempts,
      startedAtMs: this.startedAtMs,
      totalLatencyMs: nowMs - this.startedAtMs,
      totalCostUsd: sum('costUsd'),
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      ...(jobId !== undefined && { jobId }),
      ...(this.canary && { canaryId: this.canary.id, canaryArm: this.canary.arm }),
    };
  }
}
