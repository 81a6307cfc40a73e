import { afterEach, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { testDatabases } from '../../support/databases.js';
import { waitFor } from '../monitoring/support.js';
import { complete, job, setInternalRoutesFailing } from './support.js';

const dbs = await testDatabases();

describe.each(dbs)('the job workers’ lifecycle ($name)', ({ open }) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  async function start(jobs: Parameters<typeof startTestBackstop>[0] = {}): Promise<TestBackstop> {
    const database = await open();
    cleanup.push(() => database.close());
    const tb = await startTestBackstop({ database, ...jobs });
    cleanup.push(() => tb.close());
    return tb;
  }

  it('runs queued jobs on its own once started, and stops cleanly', async () => {
    const tb = await start({ jobs: { pollIntervalMs: 20 } });
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Background work');
    setInternalRoutesFailing(tb, false);
    tb.services.jobs.start();
    await waitFor('the worker to finish the job', async () => (await job(tb, jobId!))?.status === 'done');
    await tb.services.jobs.worker.stop();
    expect(await job(tb, jobId!)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('puts a job still running at shutdown back in the queue after the grace period', async () => {
    const tb = await start({ jobs: { pollIntervalMs: 20, stopGraceMs: 50 } });
    setInternalRoutesFailing(tb, true);
    const { jobId } = await complete(tb, 'internal', 'Long job');
    // The primary now hangs: the run is still waiting for it when the gateway shuts down.
    tb.sim.setProfile('gpt-4.1-nano', { hangRate: 1 });
    tb.services.jobs.start();
    await waitFor('the job to be running', async () => (await job(tb, jobId!))?.status === 'running');

    await tb.services.jobs.stop();
    const requeued = await job(tb, jobId!);
    expect(requeued).toMatchObject({ status: 'queued', attempts: 1 });
    expect(requeued!.reason).toMatch(/cancelled/);
  });
});
