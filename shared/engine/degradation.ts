import type { CompletionRequest, DegradedReason, ToolCall } from '../contracts/completion.js';
import type { DegradationMode, DegradeTier } from '../contracts/policy.js';
import type { DeferredJob, ResponseCache, ReviewCandidate, WorkQueue } from './ports.js';

export type DegradeOutcome =
  | {
      kind: 'answer';
      source: 'cache' | 'default_response';
      content: string;
      toolCalls: ToolCall[];
      routeId: string | null;
      reason: DegradedReason;
      uncertain: boolean;
    }
  | DeferredOutcome
  | { kind: 'fail_fast' };

/** The request continues later, as a queued job or a review item, under `jobId`. */
export type DeferredOutcome = {
  kind: 'deferred';
  status: 'queued' | 'in_review';
  jobId: string;
  reason: DegradedReason;
};

/** Modes that hand a sensitive request a stand-in answer; they are forbidden for it. */
const STAND_IN_MODES: ReadonlySet<DegradationMode> = new Set(['cache', 'default_response']);

const JOB_KIND = { queue: 'retry', pause: 'resume', human_review: 'review' } as const;
const JOB_REASON = { queue: 'queued', pause: 'paused', human_review: 'human_review' } as const;

/** What a degrade step needs to know about the request it stands in for. */
export interface DegradeContext {
  tenantId: string;
  decisionId: string;
  request: CompletionRequest;
  sensitive: boolean;
  why: string;
  cache?: ResponseCache | undefined;
  workQueue?: WorkQueue | undefined;
  /** Answers that failed a quality guard so far; a review job carries them to the reviewer. */
  candidates?: readonly ReviewCandidate[];
  /** The job a worker is running again (see `DeferredJob.jobId`). */
  jobId?: string | undefined;
}

/**
 * Tries a degrade tier's modes in order. Returns the first that produced something, and the modes refused
 * because the request is sensitive. A mode whose port is missing (no cache, no queue) is passed over.
 */
export async function runDegradeTier(
  tier: DegradeTier,
  ctx: DegradeContext,
): Promise<{ outcome?: DegradeOutcome; forbidden: DegradationMode[] }> {
  const forbidden: DegradationMode[] = [];
  for (const mode of tier.modes) {
    if (ctx.sensitive && STAND_IN_MODES.has(mode)) {
      forbidden.push(mode);
      continue;
    }
    switch (mode) {
      case 'fail_fast':
        return { outcome: { kind: 'fail_fast' }, forbidden };
      case 'cache': {
        const hit = await ctx.cache?.get(ctx.tenantId, ctx.request);
        if (hit) {
          const outcome: DegradeOutcome = {
            kind: 'answer',
            source: 'cache',
            content: hit.content,
            toolCalls: hit.toolCalls,
            routeId: hit.routeId,
            reason: 'cache',
            uncertain: false,
          };
          return { outcome, forbidden };
        }
        break;
      }
      case 'default_response':
        if (tier.defaultResponse !== undefined) {
          const outcome: DegradeOutcome = {
            kind: 'answer',
            source: 'default_response',
            content: tier.defaultResponse,
            toolCalls: [],
            routeId: null,
            reason: 'default_response',
            uncertain: true,
          };
          return { outcome, forbidden };
        }
        break;
      case 'queue':
      case 'pause':
      case 'human_review': {
        const outcome = await defer(ctx, mode);
        if (outcome) return { outcome, forbidden };
        break;
      }
    }
  }
  return { forbidden };
}

/**
 * Hands the request to a human reviewer with its candidate answers, outside any degrade tier: for an escalated
 * request, or low-confidence answers that no later route beat. Undefined when there is no work queue.
 */
export function requestReview(ctx: DegradeContext): Promise<DeferredOutcome | undefined> {
  return defer(ctx, 'human_review');
}

async function defer(
  ctx: DegradeContext,
  mode: 'queue' | 'pause' | 'human_review',
): Promise<DeferredOutcome | undefined> {
  if (!ctx.workQueue) return undefined;
  const review = mode === 'human_review';
  const job: DeferredJob = {
    kind: JOB_KIND[mode],
    tenantId: ctx.tenantId,
    decisionId: ctx.decisionId,
    request: ctx.request,
    reason: ctx.why,
    ...(review && { candidates: [...(ctx.candidates ?? [])] }),
    ...(ctx.jobId !== undefined && { jobId: ctx.jobId }),
  };
  const { jobId } = await ctx.workQueue.enqueue(job);
  return { kind: 'deferred', status: review ? 'in_review' : 'queued', jobId, reason: JOB_REASON[mode] };
}
