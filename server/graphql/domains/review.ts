import { z } from 'zod';
import type { ReviewCandidate } from '../../../shared/engine/ports.js';
import { MAX_JOB_PAGE, REVIEW_STATUSES, toJobView, toReviewView, type ReviewView } from '../../services/job-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, tenantScope, type GraphQLContext } from '../context.js';
import { parseInput } from '../validation.js';
import { Job } from './job.js';

const ReviewStatusEnum = builder.enumType('ReviewStatus', { values: REVIEW_STATUSES });

const ReviewCandidateRef = builder.objectRef<ReviewCandidate>('ReviewCandidate').implement({
  description: 'An answer a reviewer may approve as it is: one that failed a quality guard, or an escalated answer.',
  fields: (t) => ({
    routeId: t.exposeString('routeId'),
    content: t.exposeString('content'),
    confidence: t.exposeFloat('confidence', {
      nullable: true,
      description: 'Mean token probability, 0 to 1; null when the provider returned no logprobs.',
    }),
  }),
});

const ReviewItem = builder.objectRef<ReviewView>('ReviewItem').implement({
  description:
    'A request waiting for a person: its prompt (redacted), the candidate answers, and the verdict once given.',
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
    tenantId: t.exposeString('tenantId'),
    status: t.field({ type: ReviewStatusEnum, resolve: (r) => r.status }),
    prompt: t.exposeString('prompt', {
      nullable: true,
      description:
        'The prompt, redacted (emails, phone and card numbers, secrets). Cleared once answered, unless the tenant ' +
        'opted in to content logging.',
    }),
    candidates: t.field({ type: [ReviewCandidateRef], resolve: (r) => r.candidates }),
    answer: t.exposeString('answer', { nullable: true }),
    candidateIndex: t.exposeInt('candidateIndex', {
      nullable: true,
      description: 'The approved candidate; null when the reviewer wrote the answer.',
    }),
    reviewedBy: t.exposeID('reviewedBy', { nullable: true, description: 'The API key id of the reviewer.' }),
    reviewedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (r) => (r.reviewedAtMs === null ? null : new Date(r.reviewedAtMs)),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => new Date(r.createdAtMs) }),
    job: t.field({
      type: Job,
      resolve: async (r, _a, ctx) => toJobView((await ctx.services.jobs.store.get(r.jobId))!),
    }),
  }),
});

const reviewId = (id: unknown) => parseInput(z.uuid('not a review item id'), String(id), 'id');

/** The item if the caller may see it: staff any, tenant keys their own tenant's. */
async function visibleReview(ctx: GraphQLContext, id: string): Promise<ReviewView | null> {
  const principal = assertAuthenticated(ctx);
  const row = await ctx.services.jobs.store.getReview(id);
  // Null, not FORBIDDEN: a tenant key must not learn that another tenant's item exists.
  if (!row || (principal.role === 'tenant' && row.tenantId !== principal.tenantId)) return null;
  return toReviewView(row);
}

builder.queryFields((t) => ({
  reviewItems: t.field({
    type: [ReviewItem],
    description: 'The review queue, oldest first. Tenant keys see only their own tenant’s items.',
    args: {
      status: t.arg({ type: ReviewStatusEnum }),
      tenantId: t.arg.id({ description: 'Staff: only this tenant’s items.' }),
      first: t.arg.int({ description: `How many, 1 to ${MAX_JOB_PAGE}. Defaults to 50.` }),
    },
    resolve: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const first = parseInput(z.number().int().min(1).max(MAX_JOB_PAGE), args.first ?? 50, 'first');
      return ctx.services.jobs.store.listReviews({
        first,
        ...(tenantId && { tenantId }),
        ...(args.status && { status: args.status }),
      });
    },
  }),
  reviewItem: t.field({
    type: ReviewItem,
    nullable: true,
    description: 'One review item; null when there is none, or when it belongs to another tenant than the caller’s.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => visibleReview(ctx, reviewId(id)),
  }),
}));

builder.mutationFields((t) => ({
  answerReview: t.field({
    type: ReviewItem,
    description:
      'Admins only. Answers a review item with the reviewer’s own text: the job is done with it as the result, the ' +
      'waiting client gets it on `jobUpdated`, and a decision (source human_review) and an audit entry are written. ' +
      'A second answer is refused with CONFLICT.',
    args: { id: t.arg.id({ required: true }), answer: t.arg.string({ required: true }) },
    resolve: (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const answer = parseInput(z.string().trim().min(1, 'must not be empty').max(100_000), args.answer, 'answer');
      return ctx.services.jobs.reviews.answer(actor, reviewId(args.id), { answer });
    },
  }),
  approveReview: t.field({
    type: ReviewItem,
    description: 'Admins only. Like `answerReview`, with one of the item’s candidate answers (0-based) as it is.',
    args: { id: t.arg.id({ required: true }), candidateIndex: t.arg.int({ required: true }) },
    resolve: (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const candidateIndex = parseInput(z.number().int().min(0), args.candidateIndex, 'candidateIndex');
      return ctx.services.jobs.reviews.answer(actor, reviewId(args.id), { candidateIndex });
    },
  }),
}));
