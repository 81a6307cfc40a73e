import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../drizzle/client.js';
import { CompletionRequestSchema, type CompletionResult } from '../../shared/contracts/completion.js';
import type { DeferredJob } from '../../shared/engine/ports.js';
import { testDatabases } from '../../test/support/databases.js';
import { createJobStore, type JobStore } from './job-store.js';

const dbs = await testDatabases();

const deferred = (kind: DeferredJob['kind'] = 'retry'): DeferredJob => ({
  kind,
  tenantId: 'acme',
  decisionId: randomUUID(),
  request: CompletionRequestSchema.parse({ trafficClass: 'internal', messages: [{ role: 'user', content: 'hi' }] }),
  reason: 'server_error: upstream 500',
});
const answer = { status: 'answered', content: 'done' } as CompletionResult;

describe.each(dbs)('the jobs table’s status transitions ($name)', ({ open }) => {
  let database: DatabaseHandle;
  let store: JobStore;
  beforeAll(async () => {
    database = await open();
    store = createJobStore(database.db);
  });
  afterAll(() => database.close());

  it('lets exactly one of two concurrent claims run a queued job', async () => {
    const id = randomUUID();
    await store.insertQueued(id, deferred());
    const claims = await Promise.all([store.claim(id, 60_000), store.claim(id, 60_000)]);
    expect(claims.map((c) => c.kind).sort()).toEqual(['busy', 'claimed']);
    expect((await store.get(id))!).toMatchObject({ status: 'running', attempts: 1 });
  });

  it('reports a finished job as settled, so a duplicate delivery does nothing', async () => {
    const id = randomUUID();
    await store.insertQueued(id, deferred());
    await store.claim(id, 60_000);
    expect(await store.complete(id, answer)).toMatchObject({ status: 'done', result: answer });
    expect(await store.claim(id, 60_000)).toEqual({ kind: 'settled' });
    expect(await store.complete(id, answer)).toBeUndefined();
    expect(await store.fail(id, 'X', 'x')).toBeUndefined();
    expect(await store.requeue(id, 'again')).toBeUndefined();
    expect((await store.get(id))!).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('takes over a running job whose worker has been silent longer than the lease', async () => {
    const id = randomUUID();
    await store.insertQueued(id, deferred());
    await store.claim(id, 60_000);
    expect(await store.claim(id, 60_000)).toEqual({ kind: 'busy' });
    // A zero lease: the first worker is presumed dead.
    expect(await store.claim(id, 0)).toMatchObject({ kind: 'claimed', job: { attempts: 2 } });
  });

  it('moves a requeued job back to queued with the reason, and reports a missing one', async () => {
    const id = randomUUID();
    await store.insertQueued(id, deferred());
    await store.claim(id, 60_000);
    expect(await store.requeue(id, 'still failing')).toMatchObject({ status: 'queued', reason: 'still failing' });
    expect(await store.claim(randomUUID(), 60_000)).toEqual({ kind: 'missing' });
  });

  it('answers a review item once; the second answer writes nothing', async () => {
    const id = randomUUID();
    const view = await store.insertReview(id, { ...deferred('review'), candidates: [] }, 'user: hi');
    expect(view).toMatchObject({ status: 'in_review', kind: 'review' });
    const [item] = (await store.listReviews({ tenantId: 'acme', status: 'pending', first: 50 })).filter(
      (r) => r.jobId === id,
    );
    const input = { text: 'yes', candidateIndex: null, reviewerKeyId: 'k', result: answer, keepPrompt: false };
    expect(await store.answerReview(item!.id, input)).toMatchObject({
      review: { status: 'answered', answer: 'yes', prompt: null },
      job: { status: 'done', result: answer },
    });
    expect(await store.answerReview(item!.id, { ...input, text: 'no' })).toBeUndefined();
    expect((await store.getReview(item!.id))!.answer).toBe('yes');
  });
});
