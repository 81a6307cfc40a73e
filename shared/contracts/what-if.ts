import type { BudgetBand } from './budget.js';
import type { DegradedReason } from './completion.js';
import type { AttemptRecord, DecisionOutcome, FailureKind } from './decision.js';
import type { TrafficClass } from './policy.js';

/** One attempt as the decision log stores it: what a what-if replay reads back. Index order is the list order. */
export interface StoredAttempt {
  tier: number;
  routeId: string;
  outcome: AttemptRecord['outcome'];
  skipReason?: AttemptRecord['skipReason'] | null;
  failureKind?: FailureKind | null;
  retry: number;
  startedAtMs: number;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
}

/** One decision as the decision log stores it; a `Decision` (contract) fits as is. */
export interface StoredDecision {
  id: string;
  tenantId: string;
  /** The class the request ran under, after routing rules. */
  trafficClass: TrafficClass;
  featureId?: string | null;
  sensitive: boolean;
  budgetBand: BudgetBand;
  outcome: DecisionOutcome;
  originalRouteId: string | null;
  finalRouteId: string | null;
  finalTier: number | null;
  degradedReasons: DegradedReason[];
  errorCode?: string | null;
  startedAtMs: number;
  totalLatencyMs: number;
  totalCostUsd: number;
  /** Size of the prompt in characters, when the log kept it; sizes the replayed request. */
  promptChars?: number | null;
  attempts: StoredAttempt[];
}

/** Requests per tier that answered (or deferred); -1 for requests no tier answered. */
export interface TierCount {
  tier: number;
  requests: number;
}

export interface ErrorCount {
  code: string;
  requests: number;
}

/** What a set of requests came to, recorded or replayed. Latency in milliseconds, cost in USD. */
export interface ReplayMetrics {
  requests: number;
  /** Answered now: `success` plus `degraded`. */
  answered: number;
  success: number;
  /** Answered with a degraded reason (a fallback, an uncertain stand-in, a budget downgrade, a cached or default answer). */
  degraded: number;
  failed: number;
  /** Queued for a retry, paused, or sent to human review. */
  deferred: number;
  /** Answered by another route than the one the plan started with (the metrics' fallback activation). */
  fallbacks: number;
  /** fallbacks / requests, 0 to 1; null without requests. */
  fallbackRate: number | null;
  /** Upstream calls (skips are not calls). */
  calls: number;
  costUsd: number;
  /** Nearest-rank p95 of the requests' total latency; null without requests. */
  p95LatencyMs: number | null;
  /** By tier, ascending. */
  tierActivation: TierCount[];
  /** Failed requests by error code, by code. */
  errors: ErrorCount[];
}

/** A draft's numbers minus the published policy's: counts may be negative, and a rate or p95 is null when either is. */
export type ReplayDelta = Omit<ReplayMetrics, 'requests'>;

/** How one replayed (or recorded) request ended. */
export interface ReplayedDecision {
  decisionId: string;
  tenantId: string;
  trafficClass: TrafficClass;
  outcome: DecisionOutcome;
  finalRouteId: string | null;
  finalTier: number | null;
  errorCode: string | null;
  fallback: boolean;
  calls: number;
  costUsd: number;
  latencyMs: number;
}

/** The tenant's projected month-to-date spend entered a higher budget band at this decision. */
export interface BandCrossing {
  tenantId: string;
  from: BudgetBand;
  to: BudgetBand;
  decisionId: string;
  atMs: number;
}

/** Where the replay's attempt outcomes came from. */
export interface ReplaySources {
  /** Calls whose outcome and latency were the recorded ones. */
  reusedCalls: number;
  /** Calls drawn from the route's observed health in the window. */
  sampledCalls: number;
  /** Calls to routes with no call in the window, assumed to succeed at the window's median latency. */
  assumedCalls: number;
  /** Routes the replay called that the window never called. */
  unobservedRoutes: string[];
}

export interface ReplayGroupMetrics {
  tenantId: string;
  trafficClass: TrafficClass;
  metrics: ReplayMetrics;
}

/** A replay (or the recorded reality) of one window under one policy. */
export interface ReplayReport {
  overall: ReplayMetrics;
  /** One per (tenant, class), sorted by tenant then class. */
  groups: ReplayGroupMetrics[];
  /** Per decision, in window order. */
  decisions: ReplayedDecision[];
  /** Band crossings by projected spend; absent when no budgets were given (see `replayWindow`). */
  bandCrossings?: BandCrossing[];
  sources: ReplaySources;
}

export interface ReplaySideBySide {
  published: ReplayMetrics;
  draft: ReplayMetrics;
  delta: ReplayDelta;
  /** What the log recorded, when the comparison was given it. */
  recorded?: ReplayMetrics;
}

/** A decision that ends differently under the draft. */
export interface ReplayChange {
  decisionId: string;
  tenantId: string;
  trafficClass: TrafficClass;
  published: ReplayedDecision;
  draft: ReplayedDecision;
}

/** The published and draft replays of one window side by side, overall and per (tenant, class). */
export interface ReplayComparison {
  overall: ReplaySideBySide;
  groups: (ReplaySideBySide & { tenantId: string; trafficClass: TrafficClass })[];
  /** Decisions whose outcome, answering route, tier or error differ. */
  changedDecisions: number;
  /** The first changed decisions in window order, up to the comparison's limit. */
  changes: ReplayChange[];
  bandCrossings?: { published: BandCrossing[]; draft: BandCrossing[]; recorded?: BandCrossing[] };
  sources: { published: ReplaySources; draft: ReplaySources };
}
