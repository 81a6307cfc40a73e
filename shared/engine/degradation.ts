import type { CompletionRequest, DegradedReason, ToolCall } from '../contracts/completion.js';
import type { DegradationMode, DegradeTier } from '../contracts/policy.js';
import type { ResponseCache, WorkQueue } from './ports.js';

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
  | { kind: 'deferred'; status: 'queued' | 'in_review'; jobId: string; reason: DegradedReason }
  | { kind: 'fail_fast' };

/** Modes that hand a sensitive request a stand-in answer; they are forbidden for it. */
const STAND_IN_MODES: ReadonlySet<DegradationMode> = new Set(['cache', 'default_response']);

const JOB_KIND = { queue: 'retry', pause: 'resume', human_review: 'review' } as const;
const JOB_REASON = { queue: 'queued', pause: 'paused', human_review: 'human_review' } as const;

/**
 * Tries a degrade tier's modes in order. Returns the first that produced something, and the modes refused
 * because the request is sensitive. A mode whose port is missing (no cache, no queue) is passed over.
 */
export async function runDegradeTier(
  tier: DegradeTier,
  ctx: {
    tenantId: string;
    decisionId: string;
    request: CompletionRequest;
    sensitive: boolean;
    why: string;
    cache?: ResponseCache | undefined;
    workQueue?: WorkQueue | undefined;
  },
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
        if (!ctx.workQueue) break;
        const { jobId } = await ctx.workQueue.enqueue({
          kind: JOB_KIND[mode],
          tenantId: ctx.tenantId,
          decisionId: ctx.decisionId,
          request: ctx.request,
          reason: ctx.why,
        });
        const status = mode === 'human_review' ? 'in_review' : 'queued';
        return { outcome: { kind: 'deferred', status, jobId, reason: JOB_REASON[mode] }, forbidden };
      }
    }
  }
  return { forbidden };
}
