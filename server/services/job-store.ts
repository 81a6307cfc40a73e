import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Database } from '../../drizzle/client.js';
import { jobs, reviewItems } from '../../drizzle/schema/index.js';
import type { CompletionRequest, CompletionResult } from '../../shared/contracts/completion.js';
import type { TrafficClass } from '../../shared/contracts/policy.js';
import type { DeferredJob, ReviewCandidate } from '../../shared/engine/ports.js';

export const JOB_KINDS = ['retry', 'resume', 'review'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'in_review'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const REVIEW_STATUSES = ['pending', 'answered'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** Largest page `listJobs` and `listReviews` return. */
export const MAX_JOB_PAGE = 200;

export type JobRow = typeof jobs.$inferSelect;
export type ReviewRow = typeof reviewItems.$inferSelect;

/**
 * A job as the API and the `job:updated` topic carry it: plain JSON (times in epoch milliseconds), so it crosses a
 * shared pub/sub unchanged, and without the request, so no prompt travels with it.
 */
export interface JobView {
  id: string;
  tenantId: string;
  kind: JobKind;
  status: JobStatus;
  trafficClass: TrafficClass;
  decisionId: string;
  reason: string;
  attempts: number;
  result: CompletionResult | null;
  errorCode: string | null;
  error: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A review item as the API shows it. */
export interface ReviewView {
  id: string;
  jobId: string;
  tenantId: string;
  status: ReviewStatus;
  prompt: string | null;
  candidates: ReviewCandidate[];
  answer: string | null;
  candidateIndex: number | null;
  reviewedBy: string | null;
  reviewedAtMs: number | null;
  createdAtMs: number;
}

/** What a worker found when it tried to take a job. */
export type Claim =
  | { kind: 'claimed'; job: JobRow }
  /** Done, failed or in review: a duplicate delivery, nothing to do. */
  | { kind: 'settled' }
  /** Another worker holds it and its lease has not run out. */
  | { kind: 'busy' }
  | { kind: 'missing' };

const SETTLED: ReadonlySet<JobStatus> = new Set(['done', 'failed', 'in_review']);

export const toJobView = (row: JobRow): JobView => ({
  id: row.id,
  tenantId: row.tenantId,
  kind: row.kind,
  status: row.status,
  trafficClass: (row.request as Pick<CompletionRequest, 'trafficClass'>).trafficClass,
  decisionId: row.decisionId,
  reason: row.reason,
  attempts: row.attempts,
  result: (row.result as CompletionResult | null) ?? null,
  errorCode: row.errorCode,
  error: row.error,
  createdAtMs: row.createdAt.getTime(),
  updatedAtMs: row.updatedAt.getTime(),
});

export const toReviewView = (row: ReviewRow): ReviewView => ({
  id: row.id,
  jobId: row.jobId,
  tenantId: row.tenantId,
  status: row.status,
  prompt: row.prompt,
  candidates: row.candidates as ReviewCandidate[],
  answer: row.answer,
  candidateIndex: row.candidateIndex,
  reviewedBy: row.reviewedBy,
  reviewedAtMs: row.reviewedAt?.getTime() ?? null,
  createdAtMs: row.createdAt.getTime(),
});

/** A review job keeps its request without the messages: the prompt lives in the review item only. */
const withoutMessages = (request: CompletionRequest) => ({ ...request, messages: [] });

/**
 * The `jobs` and `review_items` tables. Every status change is one conditional UPDATE that names the status it
 * expects, so a duplicate delivery or a second reviewer changes nothing and learns so from the empty result.
 * Never call the job queue (pg-boss) inside one of these transactions: on PGlite both share one connection.
 */
export function createJobStore(db: Database) {
  const update = async (id: string, from: SQL, set: PgUpdateSetSource<typeof jobs>) => {
    const [row] = await db
      .update(jobs)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(jobs.id, id), from))
      .returning();
    return row;
  };
  const running = eq(jobs.status, 'running');

  return {
    /** Adds a retry or resume job (status queued). Adding the same id twice keeps the first. */
    async insertQueued(id: string, job: DeferredJob): Promise<JobView> {
      const values = { id, status: 'queued' as const, ...pick(job) };
      const [row] = await db.insert(jobs).values(values).onConflictDoNothing().returning();
      return toJobView(row ?? (await this.get(id))!);
    },

    /** Adds a review job (status in_review) and its review item, in one transaction. */
    async insertReview(id: string, job: DeferredJob, prompt: string): Promise<JobView> {
      return db.transaction(async (tx) => {
        const values = { id, status: 'in_review' as const, ...pick(job), request: withoutMessages(job.request) };
        const [row] = await tx.insert(jobs).values(values).returning();
        await tx.insert(reviewItems).values({ jobId: id, tenantId: job.tenantId, prompt, candidates: job.candidates });
        return toJobView(row!);
      });
    },

    /** Turns a job a worker is running into a review job (its run ended in review). Undefined if it is not running. */
    async convertToReview(id: string, job: DeferredJob, prompt: string): Promise<JobView | undefined> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(jobs)
          .set({
            kind: 'review',
            status: 'in_review',
            reason: job.reason,
            request: withoutMessages(job.request),
            updatedAt: sql`now()`,
          })
          .where(and(eq(jobs.id, id), running))
          .returning();
        if (!row) return undefined;
        await tx.insert(reviewItems).values({ jobId: id, tenantId: job.tenantId, prompt, candidates: job.candidates });
        return toJobView(row);
      });
    },

    async get(id: string): Promise<JobRow | undefined> {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
      return row;
    },

    /** Newest first. */
    async list(filter: { tenantId?: string; status?: JobStatus; first: number }): Promise<JobView[]> {
      const rows = await db
        .select()
        .from(jobs)
        .where(
          and(
            filter.tenantId !== undefined ? eq(jobs.tenantId, filter.tenantId) : undefined,
            filter.status !== undefined ? eq(jobs.status, filter.status) : undefined,
          ),
        )
        .orderBy(desc(jobs.createdAt), desc(jobs.id))
        .limit(filter.first);
      return rows.map(toJobView);
    },

    /**
     * Takes a job for one run: queued -> running, or a running job whose worker went silent for `leaseMs` (it
     * crashed mid-run). Counts the attempt.
     */
    async claim(id: string, leaseMs: number): Promise<Claim> {
      const stale = and(running, lt(jobs.updatedAt, sql`now() - make_interval(secs => ${leaseMs / 1000})`));
      const row = await update(id, or(eq(jobs.status, 'queued'), stale)!, {
        status: 'running',
        attempts: sql`${jobs.attempts} + 1`,
      });
      if (row) return { kind: 'claimed', job: row };
      const current = await this.get(id);
      if (!current) return { kind: 'missing' };
      return SETTLED.has(current.status) ? { kind: 'settled' } : { kind: 'busy' };
    },

    /** running -> done with the answer. Undefined if the job was not running (it changed hands). */
    async complete(id: string, result: CompletionResult): Promise<JobView | undefined> {
      const row = await update(id, running, { status: 'done', result, errorCode: null, error: null });
      return row && toJobView(row);
    },

    /** running -> failed with a stable code and a message. */
    async fail(id: string, errorCode: string, error: string): Promise<JobView | undefined> {
      const row = await update(id, running, { status: 'failed', errorCode, error });
      return row && toJobView(row);
    },

    /** running -> queued, for a later retry; `reason` says why this run did not finish it. */
    async requeue(id: string, reason: string): Promise<JobView | undefined> {
      const row = await update(id, running, { status: 'queued', reason });
      return row && toJobView(row);
    },

    /** Ids of a tenant's queued resume jobs (paused batch requests), oldest first. */
    async queuedResumeIds(tenantId: string): Promise<string[]> {
      const rows = await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.tenantId, tenantId), eq(jobs.kind, 'resume'), eq(jobs.status, 'queued')))
        .orderBy(jobs.createdAt);
      return rows.map((r) => r.id);
    },

    /** Every queued retry or resume job with its tenant, oldest first, for re-sending after a crash. */
    async queued(): Promise<{ id: string; tenantId: string; kind: JobKind }[]> {
      return db
        .select({ id: jobs.id, tenantId: jobs.tenantId, kind: jobs.kind })
        .from(jobs)
        .where(eq(jobs.status, 'queued'))
        .orderBy(jobs.createdAt);
    },

    async getReview(id: string): Promise<ReviewRow | undefined> {
      const [row] = await db.select().from(reviewItems).where(eq(reviewItems.id, id));
      return row;
    },

    /** Oldest first: the queue a reviewer works through. */
    async listReviews(filter: { tenantId?: string; status?: ReviewStatus; first: number }): Promise<ReviewView[]> {
      const rows = await db
        .select()
        .from(reviewItems)
        .where(
          and(
            filter.tenantId !== undefined ? eq(reviewItems.tenantId, filter.tenantId) : undefined,
            filter.status !== undefined ? eq(reviewItems.status, filter.status) : undefined,
          ),
        )
        .orderBy(reviewItems.createdAt, reviewItems.id)
        .limit(filter.first);
      return rows.map(toReviewView);
    },

    /**
     * Records a reviewer's answer and completes its job (in_review -> done), in one transaction. Undefined when the
     * item was already answered: nothing is written.
     */
    async answerReview(
      id: string,
      answer: {
        text: string;
        candidateIndex: number | null;
        reviewerKeyId: string;
        result: CompletionResult;
        keepPrompt: boolean;
      },
    ): Promise<{ review: ReviewView; job: JobView } | undefined> {
      return db.transaction(async (tx) => {
        const [review] = await tx
          .update(reviewItems)
          .set({
            status: 'answered',
            answer: answer.text,
            candidateIndex: answer.candidateIndex,
            reviewedBy: answer.reviewerKeyId,
            reviewedAt: sql`now()`,
            ...(!answer.keepPrompt && { prompt: null }),
          })
          .where(and(eq(reviewItems.id, id), eq(reviewItems.status, 'pending')))
          .returning();
        if (!review) return undefined;
        const [job] = await tx
          .update(jobs)
          .set({ status: 'done', result: answer.result, updatedAt: sql`now()` })
          .where(and(eq(jobs.id, review.jobId), eq(jobs.status, 'in_review')))
          .returning();
        // The item was pending but its job was not in review: roll back rather than answer half.
        if (!job) throw new Error(`review item ${id} is pending but job ${review.jobId} is not in review`);
        return { review: toReviewView(review), job: toJobView(job) };
      });
    },
  };
}
export type JobStore = ReturnType<typeof createJobStore>;

function pick(job: DeferredJob) {
  return {
    tenantId: job.tenantId,
    kind: job.kind,
    decisionId: job.decisionId,
    request: job.request,
    reason: job.reason,
  };
}
