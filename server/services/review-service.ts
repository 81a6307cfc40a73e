import type { CompletionRequest, CompletionResult } from '../../shared/contracts/completion.js';
import type { AttemptRecord, Decision } from '../../shared/contracts/decision.js';
import { DecisionDraft } from '../../shared/engine/decision-draft.js';
import { EventEmitter } from '../../shared/engine/events.js';
import type { Clock, ReviewCandidate } from '../../shared/engine/ports.js';
import { clientError } from '../graphql/errors.js';
import { badInput } from '../graphql/validation.js';
import type { DecisionExtra } from './decision-writer.js';
import type { JobStore, JobView, ReviewView } from './job-store.js';
import { redact } from './redaction.js';
import type { Principal } from './tenant-store.js';
import { standInResult } from '../../shared/engine/stand-in-result.js';

export interface ReviewServiceOptions {
  store: JobStore;
  /** The decision log (the batch writer): the review is recorded as a follow-up decision of the job. */
  recordDecision: (decision: Decision, extra?: DecisionExtra) => void;
  contentLoggingOf: (tenantId: string) => boolean;
  policyVersion: (tenantId: string) => Promise<number>;
  audit: (actor: Principal, action: string, target: string, tenantId: string, details: unknown) => Promise<void>;
  notify: (job: JobView) => void;
  clock: Clock;
  newId: () => string;
}

/** A reviewer's verdict: their own answer, or one of the candidates approved as it is. */
export type ReviewVerdict = { answer: string } | { candidateIndex: number };

/**
 * Finishes review items. The answer becomes the job's result (status done), a follow-up decision with the job id
 * (outcome success, degraded for `human_review`) goes to the decision log, the action to the audit log, and
 * `job:updated` tells the waiting client. The second answer to an item is refused with CONFLICT and writes nothing.
 */
export function createReviewService(options: ReviewServiceOptions) {
  const { store, clock } = options;
  return {
    async answer(actor: Principal, reviewId: string, verdict: ReviewVerdict): Promise<ReviewView> {
      const item = await store.getReview(reviewId);
      if (!item) throw clientError('NOT_FOUND', `no review item "${reviewId}"`);
      const conflict = () => clientError('CONFLICT', `review item "${reviewId}" is already answered`);
      if (item.status === 'answered') throw conflict();
      const job = await store.get(item.jobId);
      if (!job) throw new Error(`review item ${reviewId} has no job ${item.jobId}`);

      let chosen: { content: string; routeId: string | null; candidateIndex: number | null };
      if ('candidateIndex' in verdict) {
        const candidate = (item.candidates as ReviewCandidate[])[verdict.candidateIndex];
        if (!candidate) {
          const count = (item.candidates as ReviewCandidate[]).length;
          throw badInput([
            { path: 'candidateIndex', message: `no candidate ${verdict.candidateIndex} (${count} held)` },
          ]);
        }
        chosen = { content: candidate.content, routeId: candidate.routeId, candidateIndex: verdict.candidateIndex };
      } else {
        chosen = { content: verdict.answer, routeId: null, candidateIndex: null };
      }

      const nowMs = clock.now();
      const request = job.request as CompletionRequest;
      const policyVersion = await options.policyVersion(job.tenantId);
      // The client waited from the deferral to this answer: that is the latency this decision reports.
      const draft = new DecisionDraft(
        options.newId(),
        job.tenantId,
        request,
        job.createdAt.getTime(),
        policyVersion,
        new EventEmitter<{ decisionId: string; attempt: AttemptRecord }>(),
        request.trafficClass,
        request.sensitive,
      );
      draft.jobId = job.id;
      draft.reason('human_review');
      const decision = draft.finish(nowMs, { outcome: 'success', finalRouteId: chosen.routeId, finalTier: null });
      const result: CompletionResult = standInResult(decision, {
        status: 'answered',
        content: chosen.content,
        source: 'human_review',
        routeId: chosen.routeId,
        tier: null,
        uncertain: false,
        attempts: 0,
        policyVersion,
        jobId: job.id,
      });
      const contentLogging = options.contentLoggingOf(job.tenantId);
      const written = await store.answerReview(reviewId, {
        text: chosen.content,
        candidateIndex: chosen.candidateIndex,
        reviewerKeyId: actor.keyId,
        result,
        keepPrompt: contentLogging,
      });
      // Another reviewer answered between our read and our write.
      if (!written) throw conflict();

      options.recordDecision(
        decision,
        contentLogging ? { content: { prompt: item.prompt ?? '', answer: redact(chosen.content) } } : {},
      );
      const action = chosen.candidateIndex === null ? 'review.answered' : 'review.approved';
      await options.audit(actor, action, reviewId, job.tenantId, {
        jobId: job.id,
        decisionId: decision.id,
        ...(chosen.candidateIndex !== null && { candidateIndex: chosen.candidateIndex, routeId: chosen.routeId }),
        answerChars: chosen.content.length,
      });
      options.notify(written.job);
      return written.review;
    },
  };
}
export type ReviewService = ReturnType<typeof createReviewService>;
