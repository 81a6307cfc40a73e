import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../../drizzle/schema/index.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { testDatabases } from '../../support/databases.js';
import { expectData, expectError } from '../graphql/support.js';
import { complete, decisionsOfJob, INTERNAL_MODELS, job, setInternalRoutesFailing, simRequests } from './support.js';

const dbs = await testDatabases();

const PAUSE = 'mutation ($t: ID!) { pauseBatch(tenantId: $t) { id batchPaused } }';
const RESUME = 'mutation ($t: ID!) { resumeBatch(tenantId: $t) { id batchPaused } }';

describe.each(dbs)('pausing and resuming batch traffic per tenant ($name)', ({ open }) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  async function start(): Promise<TestBackstop> {
    const database = await open();
    cleanup.push(() => database.close());
    const tb = await startTestBackstop({ database });
    cleanup.push(() => tb.close());
    return tb;
  }
  const calls = (tb: TestBackstop) => INTERNAL_MODELS.map((m) => simRequests(tb, m));

  it('holds a paused tenant’s batch requests as resume jobs with no provider call, and runs them on resume', async () => {
    const tb = await start();
    const acmeKey = await tb.key('tenant', 'acme');
    expect(expectData(await tb.gql(PAUSE, { t: 'acme' })).pauseBatch).toEqual({ id: 'acme', batchPaused: true });
    const before = calls(tb);

    const held = await complete(tb, 'batch', 'Embed these 10k documents', { key: acmeKey });
    expect(held).toMatchObject({ status: 'queued', source: 'queue', degradedReasons: ['paused'] });
    expect(calls(tb)).toEqual(before);
    expect(await job(tb, held.jobId!, acmeKey)).toMatchObject({ kind: 'resume', status: 'queued', attempts: 0 });
    const [decision] = await decisionsOfJob(tb, held.jobId!);
    expect(decision).toMatchObject({ id: held.decisionId, outcome: 'queued', degradedReasons: ['paused'] });

    // Other classes and other tenants are not paused.
    expect((await complete(tb, 'internal', 'still answered', { key: acmeKey })).status).toBe('answered');
    expect((await complete(tb, 'batch', 'default tenant batch')).status).toBe('answered');

    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 0 });
    expect(await job(tb, held.jobId!)).toMatchObject({ status: 'queued' });

    expect(expectData(await tb.gql(RESUME, { t: 'acme' })).resumeBatch).toEqual({ id: 'acme', batchPaused: false });
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 1, done: 1 });
    expect(await job(tb, held.jobId!)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await complete(tb, 'batch', 'after resume', { key: acmeKey })).status).toBe('answered');

    const actions = await tb.services.database.db.select().from(auditLog).where(eq(auditLog.tenantId, 'acme'));
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['batch.paused', 'batch.resumed']));
  });

  it('leaves a queued batch job alone while its tenant is paused, even when pg-boss delivers it', async () => {
    const tb = await start();
    const acmeKey = await tb.key('tenant', 'acme');
    setInternalRoutesFailing(tb, true);
    // Not paused yet: the routes fail and the class's pause tier defers the request.
    const deferred = await complete(tb, 'batch', 'Re-rank the catalogue', { key: acmeKey });
    expect(deferred).toMatchObject({ status: 'queued', degradedReasons: ['paused'] });
    setInternalRoutesFailing(tb, false);
    expectData(await tb.gql(PAUSE, { t: 'acme' }));
    const before = calls(tb);

    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 1, paused: 1, done: 0 });
    expect(calls(tb)).toEqual(before);
    expect(await job(tb, deferred.jobId!)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ fetched: 0 });

    expectData(await tb.gql(RESUME, { t: 'acme' }));
    expect(await tb.services.jobs.worker.drain()).toMatchObject({ done: 1 });
    expect(await job(tb, deferred.jobId!)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('lets only admins pause or resume, and names a missing tenant', async () => {
    const tb = await start();
    const acmeKey = await tb.key('tenant', 'acme');
    const viewerKey = await tb.key('viewer');
    for (const key of [acmeKey, viewerKey]) {
      expectError(await tb.gql(PAUSE, { t: 'acme' }, key), 'FORBIDDEN');
      expectError(await tb.gql(RESUME, { t: 'acme' }, key), 'FORBIDDEN');
    }
    expectError(await tb.gql(PAUSE, { t: 'nobody' }), 'NOT_FOUND');
    const tenant = expectData(await tb.gql('{ tenant(id: "acme") { batchPaused } }', {}, acmeKey)).tenant;
    expect(tenant).toEqual({ batchPaused: false });
  });
});
