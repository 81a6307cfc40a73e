import type { DeferredJob, WorkQueue } from '../engine/ports.js';

/** A WorkQueue that keeps jobs in an array, for tests. */
export function createMemoryWorkQueue(): WorkQueue & { jobs: (DeferredJob & { jobId: string })[] } {
  const jobs: (DeferredJob & { jobId: string })[] = [];
  return {
    jobs,
    async enqueue(job) {
      // A job run again by a worker keeps its id; the entry shows what the engine asked for.
      const jobId = job.jobId ?? `job-${jobs.length + 1}`;
      jobs.push({ ...job, jobId });
      return { jobId };
    },
  };
}
