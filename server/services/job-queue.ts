import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { DeferredJob, WorkQueue } from '../../shared/engine/ports.js';
import type { JobStore, JobView } from './job-store.js';
import { promptText } from './privacy-sink.js';
import { redact } from './redaction.js';

/** The one pg-boss queue every deferred job goes through. */
export const JOB_QUEUE = 'backstop-jobs';

export interface JobQueueOptions {
  boss: PgBoss;
  store: JobStore;
  /** Whether a tenant's batch traffic is paused: its resume jobs then wait in the table until `release`. */
  isBatchPaused: (tenantId: string) => Promise<boolean>;
  /** Every change of a job, for the `job:updated` topic. Must not throw. */
  notify: (job: JobView) => void;
  /** Deliveries after the first one. Defaults to 10 (about two hours of backoff with the default delay). */
  retryLimit?: number;
  /** Delay before the first retry, in seconds; pg-boss doubles it for each further one, with jitter. Defaults to 5. */
  retryDelaySeconds?: number;
  /** How long one delivery may run before pg-boss hands it out again, in seconds. Defaults to 900. */
  expireInSeconds?: number;
}

/** One delivery of a job by pg-boss. `retryCount` is 0 on the first; the last one has `retryCount === retryLimit`. */
export interface Delivery {
  /** pg-boss's id: the job id when Backstop sent it, so a second send of the same job is refused. */
  bossId: string;
  jobId: string;
  retryCount: number;
  retryLimit: number;
}

/** The engine's WorkQueue on the `jobs` table and pg-boss, plus the transport the worker drives. */
export interface JobQueue extends WorkQueue {
  /**
   * Hands a queued job to pg-boss under the job's own id. Idempotent while pg-boss still holds the job, so a
   * resend after a crash cannot deliver it twice.
   */
  send(id: string): Promise<void>;
  /** Takes up to `max` due deliveries; `ignoreBackoff` also takes retries whose backoff has not run out (tests). */
  fetch(max: number, options?: { ignoreBackoff?: boolean }): Promise<Delivery[]>;
  /** The delivery is finished with (the job settled, or there was nothing to do). */
  ack(delivery: Delivery): Promise<void>;
  /** Deliver again after pg-boss's backoff; the job row must already be back to queued. */
  retryLater(delivery: Delivery, reason: string): Promise<void>;
  /** Forgets pg-boss's copy of a paused tenant's job; `release` or `recover` sends it again. */
  drop(delivery: Delivery): Promise<void>;
  /** Sends a tenant's queued resume jobs after a pause. Returns how many. */
  release(tenantId: string): Promise<number>;
  /** Sends every queued job of tenants not paused (one whose send was lost in a crash). Returns how many. */
  recover(): Promise<number>;
  /** Expires deliveries past their time and archives old pg-boss rows. */
  maintain(): Promise<void>;
  /** Stops pg-boss (its own pool on Postgres). Queued jobs stay queued. */
  stop(): Promise<void>;
}

// SQLSTATE deadlock_detected. pg-boss's create_queue inserts the queue row, then attaches its partition, which locks the
// queue table for a foreign key: two instances starting at once on a new database each wait for the other, and
// Postgres aborts one of them.
const DEADLOCK = '40P01';

/**
 * Runs pg-boss's `createQueue`, again after a deadlock: the retry's insert waits for the other instance's queue row
 * and, once that is committed, leaves it as it is (ON CONFLICT DO NOTHING). Any other error, or a deadlock on the last
 * of `attempts` (default 5: with several instances waiting, each deadlock aborts only one of them), is thrown.
 */
export async function createQueueOnce(create: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (e) {
      if (attempt >= attempts || (e as { code?: unknown }).code !== DEADLOCK) throw e;
    }
  }
}

/**
 * Creates the queue on a started pg-boss. A retry or resume job is a `jobs` row (queued) plus a pg-boss job with
 * the same id; a review job is a `jobs` row (in_review) plus a review item, and no pg-boss job: a person finishes it.
 * @example const queue = await createJobQueue({ boss, store, isBatchPaused, notify }); engine uses it as workQueue.
 */
export async function createJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const { boss, store, notify } = options;
  const retry = {
    retryLimit: options.retryLimit ?? 10,
    retryDelay: options.retryDelaySeconds ?? 5,
    retryBackoff: true,
    expireInSeconds: options.expireInSeconds ?? 900,
  };
  await createQueueOnce(() => boss.createQueue(JOB_QUEUE, { name: JOB_QUEUE, policy: 'standard', ...retry }));
  const prompt = (job: DeferredJob) => redact(promptText(job.request));

  const send = async (id: string) => {
    await boss.send(JOB_QUEUE, { jobId: id }, { id, ...retry });
  };

  return {
    async enqueue(job) {
      if (job.jobId !== undefined) {
        // A worker's run deferred again. Still queued: the worker puts the job back itself. Now for review: move it.
        if (job.kind === 'review') {
          const moved = await store.convertToReview(job.jobId, job, prompt(job));
          if (moved) notify(moved);
        }
        return { jobId: job.jobId };
      }
      const id = randomUUID();
      if (job.kind === 'review') {
        notify(await store.insertReview(id, job, prompt(job)));
        return { jobId: id };
      }
      const view = await store.insertQueued(id, job);
      // The row is the durable record; a send lost to a crash right here is made good by `recover`.
      if (job.kind !== 'resume' || !(await options.isBatchPaused(job.tenantId))) await send(id);
      notify(view);
      return { jobId: id };
    },
    send,
    async fetch(max, fetchOptions = {}) {
      const jobs = await boss.fetch<{ jobId: string }>(JOB_QUEUE, {
        batchSize: max,
        includeMetadata: true,
        ...(fetchOptions.ignoreBackoff && { ignoreStartAfter: true }),
      });
      return jobs.map((j) => ({
        bossId: j.id,
        jobId: j.data.jobId,
        retryCount: j.retryCount,
        retryLimit: j.retryLimit,
      }));
    },
    async ack(delivery) {
      await boss.complete(JOB_QUEUE, delivery.bossId);
    },
    async retryLater(delivery, reason) {
      await boss.fail(JOB_QUEUE, delivery.bossId, { reason });
    },
    async drop(delivery) {
      await boss.deleteJob(JOB_QUEUE, delivery.bossId);
    },
    async release(tenantId) {
      const ids = await store.queuedResumeIds(tenantId);
      for (const id of ids) await send(id);
      return ids.length;
    },
    async recover() {
      const queued = await store.queued();
      const paused = new Map<string, boolean>();
      let sent = 0;
      for (const job of queued) {
        if (job.kind === 'resume') {
          if (!paused.has(job.tenantId)) paused.set(job.tenantId, await options.isBatchPaused(job.tenantId));
          if (paused.get(job.tenantId)) continue;
        }
        await send(job.id);
        sent++;
      }
      return sent;
    },
    async maintain() {
      await boss.maintain();
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
    },
  };
}
