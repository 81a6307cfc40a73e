import type { Logger } from 'pino';
import { CompletionRequestSchema } from '../../shared/contracts/completion.js';
import { isBackstopError } from '../../shared/engine/errors.js';
import type { FallbackEngine } from '../../shared/engine/fallback-engine.js';
import type { Delivery, JobQueue } from './job-queue.js';
import { toJobView, type JobRow, type JobStore, type JobView } from './job-store.js';
import type { PolicyStore } from './policy-store.js';

export interface JobWorkerOptions {
  queue: JobQueue;
  store: JobStore;
  engine: FallbackEngine;
  policies: Pick<PolicyStore, 'livePolicy'>;
  isBatchPaused: (tenantId: string) => Promise<boolean>;
  notify: (job: JobView) => void;
  logger: Logger;
  /** Jobs this process runs at once. Defaults to 4. */
  concurrency?: number;
  /** Wait after a fetch that found nothing, in milliseconds. Defaults to 2 000. */
  pollIntervalMs?: number;
  /**
   * A running job whose worker has been silent this long is taken over (that worker died), in milliseconds. Keep it
   * at most the queue's `expireInSeconds`, after which pg-boss delivers the job again. Defaults to 900 000.
   */
  leaseMs?: number;
  /** Time between maintenance rounds (expire stuck deliveries, archive, resend lost sends), in ms. Defaults to 120 000. */
  maintenanceIntervalMs?: number;
}

/** What one `processOnce` or `drain` did, by how each delivery ended. */
export interface ProcessReport {
  fetched: number;
  /** Answered: the job is done. */
  done: number;
  /** Ended for good: budget exhausted, request rejected, retries used up. */
  failed: number;
  /** No route answered yet: back to the queue for a later, backed-off delivery. */
  requeued: number;
  /** Handed to a human reviewer by its run. */
  inReview: number;
  /** A paused tenant's batch job, set aside until `resumeBatch`. */
  paused: number;
  /** Nothing to do: a duplicate delivery of a settled job (or of no job at all). */
  skipped: number;
  /** Held by another worker whose lease has not run out: delivered again later. */
  busy: number;
}

export interface JobWorker {
  /** Starts the fetch loop and the maintenance timer, and resends queued jobs whose send a crash lost. */
  start(): void;
  /** Stops fetching and waits up to `graceMs` (default 15 000) for running jobs, then cancels them back to the queue. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** One fetch of up to `concurrency` due jobs, each run to its end. Tests drive the worker with this. */
  processOnce(options?: { ignoreBackoff?: boolean }): Promise<ProcessReport>;
  /** `processOnce` until nothing is due (a requeued job waits out its backoff), at most `maxRounds` (100) times. */
  drain(options?: { ignoreBackoff?: boolean; maxRounds?: number }): Promise<ProcessReport>;
}

type Verdict = Exclude<keyof ProcessReport, 'fetched'>;

// The request itself or the tenant's budget rules it out: running it again cannot help.
const FINAL_CODES: ReadonlySet<string> = new Set([
  'QUOTA_EXHAUSTED',
  'BUDGET_BAND_BLOCKED',
  'DOWNGRADE_FORBIDDEN',
  'REQUEST_REJECTED',
  'INVALID_POLICY',
]);

const emptyReport = (): ProcessReport => ({
  fetched: 0,
  done: 0,
  failed: 0,
  requeued: 0,
  inReview: 0,
  paused: 0,
  skipped: 0,
  busy: 0,
});

/**
 * Runs deferred jobs through the engine: the normal plan, budget and decision path, with the job id on the decision.
 * Exactly once: a run starts only by moving the row queued -> running, and only the run that holds it may settle it.
 * @example const worker = createJobWorker({ queue, store, engine, policies, isBatchPaused, notify, logger }); worker.start();
 */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { queue, store, engine, logger } = options;
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 900_000;
  let cancel = new AbortController();
  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  let maintenance: NodeJS.Timeout | undefined;

  const notify = (job: JobView | undefined) => {
    if (job) options.notify(job);
  };

  /** Puts a job that found no route back in the queue, or fails it on its last delivery. */
  async function requeueOrGiveUp(job: JobRow, delivery: Delivery, why: string): Promise<Verdict> {
    if (delivery.retryCount >= delivery.retryLimit) {
      const message = `no route answered in ${job.attempts} runs (last: ${why})`;
      notify(await store.fail(job.id, 'RETRIES_EXHAUSTED', message));
      return 'failed';
    }
    notify(await store.requeue(job.id, why));
    return 'requeued';
  }

  async function run(job: JobRow, delivery: Delivery): Promise<Verdict> {
    const parsed = CompletionRequestSchema.safeParse(job.request);
    if (!parsed.success) {
      notify(await store.fail(job.id, 'REQUEST_REJECTED', `stored request no longer valid: ${parsed.error.message}`));
      return 'failed';
    }
    try {
      const policy = await options.policies.livePolicy(job.tenantId);
      const result = await engine.complete({
        tenantId: job.tenantId,
        policy,
        request: parsed.data,
        jobId: job.id,
        signal: cancel.signal,
      });
      if (result.status === 'answered') {
        notify(await store.complete(job.id, result));
        return 'done';
      }
      // The queue already moved it to review (and said so); queued means the routes still fail.
      if (result.status === 'in_review') return 'inReview';
      return await requeueOrGiveUp(job, delivery, `still no route answered (decisionId=${result.decisionId})`);
    } catch (e) {
      if (isBackstopError(e) && FINAL_CODES.has(e.code)) {
        notify(await store.fail(job.id, e.code, e.message));
        return 'failed';
      }
      const why = e instanceof Error ? e.message : String(e);
      return await requeueOrGiveUp(job, delivery, isBackstopError(e) ? `${e.code}: ${why}` : why);
    }
  }

  async function handle(delivery: Delivery): Promise<Verdict> {
    const current = await store.get(delivery.jobId);
    if (!current) {
      logger.warn({ jobId: delivery.jobId }, 'job delivered without a jobs row; dropped');
      return 'skipped';
    }
    // Checked before the claim, so a paused job is neither counted as an attempt nor marked running.
    if (current.kind === 'resume' && current.status === 'queued' && (await options.isBatchPaused(current.tenantId)))
      return 'paused';
    const claim = await store.claim(delivery.jobId, leaseMs);
    if (claim.kind !== 'claimed') return claim.kind === 'busy' ? 'busy' : 'skipped';
    notify(toJobView(claim.job));
    return run(claim.job, delivery);
  }

  /** Tells pg-boss how the delivery ended. */
  async function settle(delivery: Delivery, verdict: Verdict): Promise<void> {
    if (verdict === 'requeued' || verdict === 'busy') return queue.retryLater(delivery, verdict);
    if (verdict !== 'paused') return queue.ack(delivery);
    await queue.drop(delivery);
    // `resumeBatch` may have sent the job between our pause check and the drop (its send found pg-boss's copy
    // still there): look again, now that the copy is gone.
    const row = await store.get(delivery.jobId);
    if (row?.status === 'queued' && !(await options.isBatchPaused(row.tenantId))) await queue.send(delivery.jobId);
  }

  async function deliver(delivery: Delivery): Promise<Verdict> {
    let verdict: Verdict;
    try {
      verdict = await handle(delivery);
    } catch (e) {
      // A database failure mid-run: pg-boss delivers it again after its backoff; a row left running is taken back
      // after the lease.
      logger.warn({ err: e, jobId: delivery.jobId }, 'job run failed; retrying later');
      await queue.retryLater(delivery, e instanceof Error ? e.message : String(e)).catch(() => undefined);
      return 'requeued';
    }
    await settle(delivery, verdict);
    return verdict;
  }

  async function processOnce(fetchOptions: { ignoreBackoff?: boolean } = {}): Promise<ProcessReport> {
    const deliveries = await queue.fetch(concurrency, fetchOptions);
    const report = emptyReport();
    report.fetched = deliveries.length;
    for (const verdict of await Promise.all(deliveries.map(deliver))) report[verdict]++;
    return report;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      wake = () => (clearTimeout(timer), resolve());
    });

  async function maintain() {
    try {
      await queue.maintain();
      const sent = await queue.recover();
      if (sent > 0) logger.info({ sent }, 'queued jobs handed to the queue again');
    } catch (e) {
      logger.warn({ err: e }, 'job queue maintenance failed; next round will retry');
    }
  }

  return {
    processOnce,
    async drain(drainOptions = {}) {
      const total = emptyReport();
      for (let round = 0; round < (drainOptions.maxRounds ?? 100); round++) {
        const report = await processOnce(round === 0 ? drainOptions : {});
        for (const key of Object.keys(total) as (keyof ProcessReport)[]) total[key] += report[key];
        if (report.fetched === 0) break;
      }
      return total;
    },
    start() {
      if (loop) return;
      stopping = false;
      cancel = new AbortController();
      maintenance = setInterval(() => void maintain(), options.maintenanceIntervalMs ?? 120_000);
      maintenance.unref();
      loop = (async () => {
        await maintain();
        while (!stopping) {
          const report = await processOnce().catch((e: unknown) => {
            logger.warn({ err: e }, 'job fetch failed');
            return emptyReport();
          });
          if (report.fetched === 0 && !stopping) await sleep(options.pollIntervalMs ?? 2_000);
        }
      })();
    },
    async stop(stopOptions = {}) {
      if (!loop) return;
      stopping = true;
      clearInterval(maintenance);
      wake?.();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), stopOptions.graceMs ?? 15_000);
      });
      // Runs still going after the grace period are cancelled; each puts its job back to queued on the way out.
      if ((await Promise.race([loop, grace])) === 'late') cancel.abort(new Error('the gateway is shutting down'));
      clearTimeout(timer);
      await loop;
      loop = undefined;
    },
  };
}
