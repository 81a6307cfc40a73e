import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { JOB_QUEUE } from '../../../server/services/job-queue.js';
import type { JobView } from '../../../server/services/job-store.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { testDatabases } from '../../support/databases.js';
import { subscribeOverSse, waitFor } from '../monitoring/support.js';
import {
  complete,
  decisionsOfJob,
  INTERNAL_MODELS,
  job,
  JOB_FIELDS,
  setInternalRoutesFailing,
  simRequests,
  type JobData,
} from './support.js';

const dbs = await testDatabases();

const JOB_UPDATED = /* GraphQL */ `
  subscription JobUpdated($id: ID) {
    jobUpdated(id: $id) { ${JOB_FIELDS} }
  }
`;

describe.each(dbs)('the durable retry queue ($name)', ({ open }) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(options: Parameters<typeof startTestBackstop>[0] = {}) {
    let database = options.database;
    if (!database) {
      const opened = await open();
      database = opened;
      cleanup.push(() => opened.close());
    }
    const tb = await startTestBackstop({ ...options, database });
    let closed: Promise<void> | undefined;
    const close = () => (closed ??= tb.close());
    cleanup.push(close);
    return { tb, database, close };
  }

  /** Publishes stand-in updates of `jobId` until the subscriber has seen one: from then on it is live. */
  async function untilLive(tb: TestBackstop, jobId: string, seen: () => JobData[]) {
    const current = (await tb.services.jobs.store.list({ first: 1 }))[0]!;
    await waitFor('the jobUpdated subscription to be live', () => {
      const marker: JobView = { ...current, id: jobId, reason: 'marker' };
      tb.services.monitoring.pubsub.publish('job:updated', marker);
      return seen().some((j) => j.reason === 'marker');
    });
  }

  it('queues an internal request whose routes all fail, then answers it once, after they recover', async () => {
    const { tb } = await start();
    setInternalRoutesFailing(tb, true);
    const queued = await complete(tb, 'internal', 'Summarise the nightly build logs');
    expect(queued).toMatchObject({ status: 'queued', source: 'queue', content: '', degradedReasons: ['queued'] });
    const jobId = queued.jobId!;
    expect(await job(tb, jobId)).toMatchObject({
      id: jobId,
      kind: 'retry',
      status: 'queued',
      trafficClass: 'internal',
      decisionId: queued.decisionId,
      attempts: 0,
      result: null,
    });

    const updates = subscribeOverSse<{ jobUpdated: JobData }>(tb, JOB_UPDATED, { id: jobId });
    try {
      const seen = () => updates.messages.map((m) => m.data!.jobUpdated);
      await untilLive(tb, jobId, seen);

      setInternalRoutesFailing(tb, false);
      const report = await tb.services.jobs.worker.drain();
      expect(report).toMatchObject({ fetched: 1, done: 1, requeued: 0, failed: 0 });

      const done = await job(tb, jobId);
      expect(done).toMatchObject({ status: 'done', attempts: 1, errorCode: null });
      expect(done!.result).toMatchObject({ status: 'answered', source: 'provider', routeId: 'gpt-4.1-nano' });
      expect(done!.result!.content).not.toBe('');

      const delivered = await waitFor('the done update', () => seen().find((j) => j.status === 'done'));
      expect(delivered).toEqual(done);
      expect(
        seen()
          .filter((j) => j.reason !== 'marker')
          .map((j) => j.status),
      ).toEqual(['running', 'done']);
    } finally {
      await updates.close();
    }

    const recorded = await decisionsOfJob(tb, jobId);
    expect(recorded.map((d) => d.outcome).sort()).toEqual(['queued', 'success']);
    const run = recorded.find((d) => d.outcome === 'success')!;
    expect(run.id).toBe((await job(tb, jobId))!.result!.decisionId);
    expect(run).toMatchObject({ tenantId: 'default', trafficClass: 'internal', finalRouteId: 'gpt-4.1-nano' });
  });

  it('ignores a duplicate delivery of a finished job', async () => {
    const { tb } = await start();
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Tag these tickets');
    setInternalRoutesFailing(tb, false);
    await tb.services.jobs.worker.drain();
    const calls = simRequests(tb, 'gpt-4.1-nano');

    // Sending the job again under its own id: pg-boss still holds that id, so nothing new is queued.
    await tb.services.jobs.queue.send(jobId!);
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 0 });
    // A second pg-boss job under another id, as a redelivery after a lost acknowledgement would be.
    await sendDuplicate(tb, jobId!);
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 1, skipped: 1, done: 0 });
    expect(simRequests(tb, 'gpt-4.1-nano')).toBe(calls);
    expect(await job(tb, jobId!)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await decisionsOfJob(tb, jobId!)).filter((d) => d.outcome === 'success')).toHaveLength(1);
  });

  it('puts a job whose retry still finds no healthy route back in the queue, not to the client', async () => {
    const { tb } = await start();
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Classify these alerts');

    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 1, requeued: 1, done: 0 });
    expect(await job(tb, jobId!)).toMatchObject({ status: 'queued', attempts: 1, result: null });
    expect((await job(tb, jobId!))!.reason).toMatch(/still no route answered/);
    // Backed off: nothing is due right away.
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 0 });

    setInternalRoutesFailing(tb, false);
    expect(await tb.services.jobs.worker.drain({ ignoreBackoff: true })).toMatchObject({ done: 1 });
    expect(await job(tb, jobId!)).toMatchObject({ status: 'done', attempts: 2 });
    const outcomes = (await decisionsOfJob(tb, jobId!)).map((d) => d.outcome).sort();
    expect(outcomes).toEqual(['queued', 'queued', 'success']);
  });

  it('fails a job on its last delivery when no route ever answered', async () => {
    const { tb } = await start({ jobs: { retryLimit: 0 } });
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Dedupe these records');
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ failed: 1 });
    const failed = await job(tb, jobId!);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'RETRIES_EXHAUSTED', result: null });
    expect(failed!.error).toMatch(/no route answered in 1 runs/);
  });

  it('fails the job with QUOTA_EXHAUSTED when the tenant’s budget is used up, and spends nothing', async () => {
    const { tb } = await start();
    const acmeKey = await tb.key('tenant', 'acme');
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Summarise the standup notes', { key: acmeKey });
    await tb.services.budgets.setBudget('acme', {
      monthlyLimitUsd: 100,
      prepaidBalanceUsd: null,
      dailyLimitUsd: 0,
      retryBudgetPerDay: null,
    });
    setInternalRoutesFailing(tb, false);
    const calls = INTERNAL_MODELS.map((m) => simRequests(tb, m));

    expect(await tb.services.jobs.worker.drain()).toMatchObject({ failed: 1, done: 0 });
    const failed = await job(tb, jobId!, acmeKey);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'QUOTA_EXHAUSTED', result: null });
    expect(failed!.error).toMatch(/daily budget/);
    expect(INTERNAL_MODELS.map((m) => simRequests(tb, m))).toEqual(calls);
    expect(await tb.services.budgets.snapshot('acme')).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
    const run = (await decisionsOfJob(tb, jobId!)).find((d) => d.outcome === 'failed');
    expect(run).toMatchObject({ errorCode: 'QUOTA_EXHAUSTED', totalCostUsd: 0 });
  });

  it('keeps queued jobs across a restart and completes each exactly once in the next process', async () => {
    const first = await start();
    setInternalRoutesFailing(first.tb, true);
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) ids.push((await complete(first.tb, 'internal', text)).jobId!);
    // The first process goes away with the jobs still queued (graceful stop; pg-boss keeps them as created).
    await first.close();

    const second = await start({ database: first.database });
    expect(await second.tb.services.jobs.worker.drain()).toMatchObject({ fetched: 3, done: 3 });
    expect(await second.tb.services.jobs.worker.drain()).toMatchObject({ fetched: 0 });
    for (const id of ids) {
      expect(await job(second.tb, id)).toMatchObject({ status: 'done', attempts: 1 });
      expect((await decisionsOfJob(second.tb, id)).filter((d) => d.outcome === 'success')).toHaveLength(1);
    }
  });

  it('completes each queued job exactly once in a new process after the first one died without any shutdown', async () => {
    const crashed = await start();
    setInternalRoutesFailing(crashed.tb, true);
    const ids: string[] = [];
    for (const text of ['four', 'five']) ids.push((await complete(crashed.tb, 'internal', text)).jobId!);
    // kill -9: the first process stops nothing and flushes nothing; it is simply never used again.

    const next = await start({ database: crashed.database });
    expect(await next.tb.services.jobs.worker.drain()).toMatchObject({ fetched: 2, done: 2 });
    for (const id of ids) {
      expect(await job(next.tb, id)).toMatchObject({ status: 'done', attempts: 1 });
      expect((await decisionsOfJob(next.tb, id)).filter((d) => d.outcome === 'success')).toHaveLength(1);
    }
  });

  it('resends a queued job whose pg-boss copy was lost, without running it twice', async () => {
    const { tb } = await start();
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Rebuild the search index notes');
    setInternalRoutesFailing(tb, false);
    // As if the process died between writing the row and sending it to pg-boss.
    await tb.services.database.execute(`delete from pgboss.job where id = '${jobId}'`);
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 0 });

    expect(await tb.services.jobs.queue.recover()).toBe(1);
    expect(await tb.services.jobs.queue.recover()).toBe(1); // the same id again: pg-boss keeps one copy
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 1, done: 1 });
    expect(await job(tb, jobId!)).toMatchObject({ status: 'done', attempts: 1 });
  });
});

/** Inserts a second pg-boss job (its own id) that points at an existing Backstop job. */
async function sendDuplicate(tb: TestBackstop, jobId: string): Promise<void> {
  await tb.services.database.execute(
    `insert into pgboss.job (id, name, data, start_after)
     values ('${randomUUID()}', '${JOB_QUEUE}', '{"jobId": "${jobId}"}', now() - interval '1 minute')`,
  );
}
