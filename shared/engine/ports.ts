import type { BudgetSnapshot } from '../contracts/budget.js';
import type {
  CompletionParams,
  CompletionRequest,
  FinishReason,
  Message,
  ToolCall,
  Usage,
} from '../contracts/completion.js';
import type { BreakerState, Decision } from '../contracts/decision.js';
import type { TrafficClass } from '../contracts/policy.js';
import type { RouteSpec } from '../contracts/route.js';

/** Time, injected so that tests run on a fake clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; the returned function cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** Uniform random number in [0, 1), injected so that jitter and weighted routing replay exactly. */
export type Random = () => number;

/** What the engine asks one route for. */
export interface ProviderCall {
  route: RouteSpec;
  messages: Message[];
  params: CompletionParams;
  responseSchema?: Record<string, unknown>;
  requestId: string;
}

/** A finished answer from one route. */
export interface ProviderResult {
  content: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The model the provider says answered (may differ from the route's alias). */
  model?: string;
  /** A refusal the provider flagged separately from content (OpenAI `message.refusal`). */
  refusal?: string;
  /** Per-token log-probabilities, when asked for and returned. */
  tokenLogprobs?: number[];
}

/** One event of a streamed answer. */
export type ProviderStreamEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason; usage: Usage; model?: string };

/**
 * One wire format. Adapters make exactly one upstream call per invocation (the engine owns retries) and
 * report failure by throwing `ProviderError` (or any error, which the engine classifies).
 */
export interface ProviderAdapter {
  complete(call: ProviderCall, signal: AbortSignal): Promise<ProviderResult>;
  stream?(call: ProviderCall, signal: AbortSignal): AsyncIterable<ProviderStreamEvent>;
}

/** Finds the adapter for a route's provider name. */
export type ProviderResolver = (route: RouteSpec) => ProviderAdapter | undefined;

/** A breaker's serializable state. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** When the breaker last opened, in epoch milliseconds. */
  openedAtMs: number | null;
  openReason: 'consecutive_failures' | 'error_rate' | 'latency' | 'probe_failed' | null;
  consecutiveFailures: number;
  /** Probes let through while half-open and not yet reported back. */
  probesInFlight: number;
  /** Rolling window as fixed time buckets, oldest first. `latencyCounts` uses the breaker's fixed bucket bounds. */
  buckets: { startMs: number; successes: number; failures: number; latencyCounts: number[] }[];
}

/** Where breaker state lives: in memory for one process, shared (Redis) for many. */
export interface BreakerStore {
  get(routeId: string): Promise<BreakerSnapshot | undefined>;
  /**
   * Stores the route's new state. `previous` is the snapshot it was computed from (what `get` returned, or a fresh
   * empty one): a shared store uses it to tell this instance's transitions and calls from state another instance
   * has moved on from in the meantime.
   */
  set(routeId: string, snapshot: BreakerSnapshot, previous?: BreakerSnapshot): Promise<void>;
}

/**
 * Admission per route before each call, for limits shared across requests (requests or tokens per minute). A route
 * the gate refuses is skipped like an open one (`skipReason: 'rate_limited'`), so the request moves on.
 */
export interface RouteGate {
  /** Takes one request and `inputTokens` (estimated) from the route's limits; false when the route is over one now. */
  admit(route: RouteSpec, inputTokens: number): Promise<boolean>;
  /** Counts what an admitted call used (its output tokens). Must not throw or block. */
  record(route: RouteSpec, usage: Usage): void;
}

/**
 * Operator switches (feature flags): a route, or a whole tier for some traffic classes, turned off on every instance.
 * A switched-off route is skipped without a call (`skipReason: 'disabled'`), as if unavailable. Asked before each
 * route of each request, so it must answer from memory.
 */
export interface RouteSwitch {
  /** False when the route is switched off, or its tier (index in the class policy) is for this traffic class. */
  isEnabled(route: RouteSpec, tier: number, trafficClass: TrafficClass): boolean;
}

export type ReservationResult = { ok: true } | { ok: false; budget: 'monthly' | 'prepaid' | 'daily' };

/** Tenant budgets. `reserve` must be atomic: concurrent requests may not together pass a limit. */
export interface BudgetStore {
  /** Undefined when the tenant has no budget (unlimited). */
  snapshot(tenantId: string): Promise<BudgetSnapshot | undefined>;
  /** Holds `amountUsd` against the monthly (and, when `daily`, the daily) budget and the prepaid balance. */
  reserve(input: {
    tenantId: string;
    reservationId: string;
    amountUsd: number;
    daily: boolean;
  }): Promise<ReservationResult>;
  /** Charges the actual cost and drops the hold. */
  settle(reservationId: string, actualUsd: number): Promise<void>;
  /** Drops the hold without charging. */
  release(reservationId: string): Promise<void>;
  /** Takes one retry from the tenant's batch retry budget; false when none is left. */
  consumeRetry(tenantId: string): Promise<boolean>;
}

export interface CachedAnswer {
  content: string;
  toolCalls: ToolCall[];
  routeId: string;
  qualityClass: RouteSpec['qualityClass'];
  storedAtMs: number;
}

/** Exact-match answer cache. The store derives its key from tenant + messages + params + schema. */
export interface ResponseCache {
  get(tenantId: string, request: CompletionRequest): Promise<CachedAnswer | undefined>;
  set(tenantId: string, request: CompletionRequest, answer: CachedAnswer): Promise<void>;
}

/** What a sink may need besides the decision: the request and the answer text, for hashing or opted-in logging. */
export interface DecisionContext {
  request: CompletionRequest;
  answer?: string;
}

/** Receives one decision per request. Must not block: implementations buffer. */
export interface DecisionSink {
  record(decision: Decision, context: DecisionContext): void;
}

/** An answer a human reviewer may approve: one that failed a quality guard, or the answer of an escalated request. */
export interface ReviewCandidate {
  routeId: string;
  content: string;
  /** Mean token probability (0..1) from the answer's logprobs; null when the provider returned none. */
  confidence: number | null;
}

export interface DeferredJob {
  kind: 'retry' | 'resume' | 'review';
  tenantId: string;
  decisionId: string;
  request: CompletionRequest;
  reason: string;
  /** For `review` jobs: the answers a reviewer may approve, in the order they were produced. */
  candidates?: ReviewCandidate[];
  /** Set when a worker is running this job again: the queue keeps that job rather than adding a new one. */
  jobId?: string;
}

/** Work that continues after the request returns: retry queue, paused batch, human review. */
export interface WorkQueue {
  enqueue(job: DeferredJob): Promise<{ jobId: string }>;
}
