import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../drizzle/client.js';
import { auditLog, jobs } from '../../../drizzle/schema/index.js';
import { DEFAULT_POLICY } from '../../../shared/engine/policy-matrix.js';
import type { JobView } from '../../../server/services/job-store.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { testDatabases } from '../../support/databases.js';
import { expectData, expectError } from '../graphql/support.js';
import { subscribeOverSse, waitFor } from '../monitoring/support.js';
import { complete, decisionsOfJob, job, JOB_FIELDS, type JobData } from './support.js';

const dbs = await testDatabases();

const REVIEW_FIELDS = /* GraphQL */ `
  id
  jobId
  tenantId
  status
  prompt
  candidates { routeId content confidence }
  answer
  candidateIndex
  reviewedBy
  job { id status }
`;
const REVIEW_ITEMS = /* GraphQL */ `
  query ($status: ReviewStatus, $tenantId: ID) {
    reviewItems(status: $status, tenantId: $tenantId) { ${REVIEW_FIELDS} }
  }
`;
const REVIEW_ITEM = `query ($id: ID!) { reviewItem(id: $id) { ${REVIEW_FIELDS} } }`;
const ANSWER = `mutation ($id: ID!, $answer: String!) { answerReview(id: $id, answer: $answer) { ${REVIEW_FIELDS} } }`;
const APPROVE = /* GraphQL */ `
  mutation ($id: ID!, $i: Int!) {
    approveReview(id: $id, candidateIndex: $i) { ${REVIEW_FIELDS} }
  }
`;
const JOB_UPDATED = `subscription ($id: ID) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`;

interface ReviewData {
  id: string;
  jobId: string;
  tenantId: string;
  status: string;
  prompt: string | null;
  candidates: { routeId: string; content: string; confidence: number | null }[];
  answer: string | null;
  candidateIndex: number | null;
  reviewedBy: string | null;
  job: { id: string; status: string };
}

describe.each(dbs)('the human review queue ($name)', ({ open }) => {
  let database: DatabaseHandle;
  let tb: TestBackstop;
  let admin: Awaited<ReturnType<TestBackstop['services']['tenants']['authenticate']>>;
  beforeAll(async () => {
    database = await open();
    tb = await startTestBackstop({ database });
    admin = await tb.services.tenants.authenticate(tb.adminKey);
  });
  afterAll(async () => {
    await tb.close();
    await database.close();
  });

  /** A tenant whose internal class goes straight from its primary to human review, and its key. */
  async function reviewTenant(id: string, options: { contentLogging?: boolean } = {}) {
    const key = await tb.key('tenant', id);
    if (options.contentLogging) await tb.services.tenants.updateTenant(admin!, id, { contentLogging: true });
    const doc = structuredClone(DEFAULT_POLICY);
    doc.classes.internal.tiers = [
      { kind: 'routes', routes: ['gpt-4.1-nano'] },
      { kind: 'degrade', modes: ['human_review'] },
    ];
    // A route that answers but always fails the guard: its answer is cut off at the token limit.
    doc.classes.internal.quality = { nonEmpty: true, rejectTruncated: true, rejectRefusal: true };
    await tb.services.policies.publish(admin!, id, doc);
    return key;
  }

  const reviewOf = async (jobId: string) => {
    const { reviewItems } = expectData<{ reviewItems: ReviewData[] }>(await tb.gql(REVIEW_ITEMS, {}));
    return reviewItems.find((r) => r.jobId === jobId)!;
  };

  it('turns a request its class hands to human review into a review item with the redacted prompt only', async () => {
    const key = await reviewTenant('acme');
    tb.sim.setProfile('gpt-4.1-nano', { errorRates: { 500: 1 } });
    let deferred;
    try {
      deferred = await complete(tb, 'internal', 'Refund jane.doe@example.com on card 4111 1111 1111 1111', { key });
    } finally {
      tb.sim.clearProfile('gpt-4.1-nano');
    }
    expect(deferred).toMatchObject({ status: 'in_review', source: 'human_review', degradedReasons: ['human_review'] });
    expect(await job(tb, deferred.jobId!, key)).toMatchObject({
      kind: 'review',
      status: 'in_review',
      tenantId: 'acme',
    });

    const item = await reviewOf(deferred.jobId!);
    expect(item).toMatchObject({
      tenantId: 'acme',
      status: 'pending',
      prompt: 'user: Refund [email] on card [card]',
      candidates: [],
      answer: null,
      job: { id: deferred.jobId, status: 'in_review' },
    });
    // The prompt lives in the review item only: not in the job row, not in the decision log.
    const [row] = await tb.services.database.db.select().from(jobs).where(eq(jobs.id, deferred.jobId!));
    expect((row!.request as { messages: unknown[] }).messages).toEqual([]);
    const [decision] = await decisionsOfJob(tb, deferred.jobId!);
    expect(decision).toMatchObject({ outcome: 'in_review', content: null });
  });

  it('keeps the answer of an escalated request (metadata escalate: "true") as a candidate', async () => {
    const key = await tb.key('tenant', 'escalating');
    const deferred = await complete(tb, 'internal', 'Approve this expense?', { key, metadata: { escalate: 'true' } });
    expect(deferred).toMatchObject({ status: 'in_review', content: '' });
    const item = await reviewOf(deferred.jobId!);
    expect(item.candidates).toHaveLength(1);
    expect(item.candidates[0]).toMatchObject({ routeId: 'gpt-4.1-nano', confidence: null });
    expect(item.candidates[0]!.content).not.toBe('');
  });

  it('answerReview completes the job, delivers the answer on jobUpdated and records a decision and an audit entry', async () => {
    const key = await tb.key('tenant', 'answered');
    const { jobId } = await complete(tb, 'internal', 'Is this invoice a duplicate?', {
      key,
      metadata: { escalate: 'true' },
    });
    const item = await reviewOf(jobId!);
    const updates = subscribeOverSse<{ jobUpdated: JobData }>(tb, JOB_UPDATED, { id: jobId }, key);
    try {
      const seen = () => updates.messages.map((m) => m.data!.jobUpdated);
      const current = (await tb.services.jobs.store.list({ tenantId: 'answered', first: 1 }))[0]!;
      await waitFor('the subscription to be live', () => {
        const marker: JobView = { ...current, reason: 'marker' };
        tb.services.monitoring.pubsub.publish('job:updated', marker);
        return seen().some((j) => j.reason === 'marker');
      });

      const answered = expectData<{ answerReview: ReviewData }>(
        await tb.gql(ANSWER, { id: item.id, answer: 'Yes: it repeats invoice 1042.' }),
      ).answerReview;
      expect(answered).toMatchObject({
        status: 'answered',
        answer: 'Yes: it repeats invoice 1042.',
        candidateIndex: null,
        reviewedBy: admin!.keyId,
        prompt: null, // not kept: the tenant did not opt in to content logging
        job: { status: 'done' },
      });
      const done = await job(tb, jobId!, key);
      expect(done).toMatchObject({ status: 'done', kind: 'review' });
      expect(done!.result).toMatchObject({
        status: 'answered',
        content: 'Yes: it repeats invoice 1042.',
        source: 'human_review',
        routeId: null,
        degradedReasons: ['human_review'],
      });
      const pushed = await waitFor('the done update', () => seen().find((j) => j.status === 'done'));
      expect(pushed).toEqual(done);

      const recorded = await decisionsOfJob(tb, jobId!);
      expect(recorded.map((d) => d.outcome).sort()).toEqual(['in_review', 'success']);
      const followUp = recorded.find((d) => d.outcome === 'success')!;
      expect(followUp).toMatchObject({
        id: done!.result!.decisionId,
        degradedReasons: ['human_review'],
        degraded: true,
      });
      const [audit] = await tb.services.database.db.select().from(auditLog).where(eq(auditLog.target, item.id));
      expect(audit).toMatchObject({ action: 'review.answered', actorKeyId: admin!.keyId, tenantId: 'answered' });
    } finally {
      await updates.close();
    }
  });

  it('approveReview delivers the chosen candidate as it is', async () => {
    const { jobId } = await complete(tb, 'internal', 'Translate "merci"', { metadata: { escalate: 'true' } });
    const item = await reviewOf(jobId!);
    expectError(await tb.gql(APPROVE, { id: item.id, i: 3 }), 'BAD_USER_INPUT');
    expect((await reviewOf(jobId!)).status).toBe('pending');

    const approved = expectData<{ approveReview: ReviewData }>(await tb.gql(APPROVE, { id: item.id, i: 0 }));
    expect(approved.approveReview).toMatchObject({ status: 'answered', candidateIndex: 0 });
    expect((await job(tb, jobId!))!.result).toMatchObject({
      content: item.candidates[0]!.content,
      routeId: 'gpt-4.1-nano',
      source: 'human_review',
    });
  });

  it('refuses a second answer with CONFLICT and writes nothing', async () => {
    const { jobId } = await complete(tb, 'internal', 'Summarise the thread', { metadata: { escalate: 'true' } });
    const item = await reviewOf(jobId!);
    expectData(await tb.gql(ANSWER, { id: item.id, answer: 'first' }));
    const before = { job: await job(tb, jobId!), decisions: (await decisionsOfJob(tb, jobId!)).length };

    expectError(await tb.gql(ANSWER, { id: item.id, answer: 'second' }), 'CONFLICT');
    expectError(await tb.gql(APPROVE, { id: item.id, i: 0 }), 'CONFLICT');
    expect(await job(tb, jobId!)).toEqual(before.job);
    expect((await decisionsOfJob(tb, jobId!)).length).toBe(before.decisions);
    expect((await reviewOf(jobId!)).answer).toBe('first');
  });

  it('lets exactly one of two reviewers answering at once win', async () => {
    const { jobId } = await complete(tb, 'internal', 'Pick a title', { metadata: { escalate: 'true' } });
    const item = await reviewOf(jobId!);
    const results = await Promise.all(['A', 'B'].map((answer) => tb.gql(ANSWER, { id: item.id, answer })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(1);
    expect((await decisionsOfJob(tb, jobId!)).filter((d) => d.outcome === 'success')).toHaveLength(1);
  });

  it('keeps the prompt after the answer for a tenant that opted in to content logging', async () => {
    const key = await reviewTenant('logged', { contentLogging: true });
    const { jobId } = await complete(tb, 'internal', 'Mail me at bob@example.org', {
      key,
      metadata: { escalate: 'true' },
    });
    const item = await reviewOf(jobId!);
    const answered = expectData<{ answerReview: ReviewData }>(await tb.gql(ANSWER, { id: item.id, answer: 'Done.' }));
    expect(answered.answerReview.prompt).toBe('user: Mail me at [email]');
  });

  it('lets only admins answer, and shows each tenant only its own jobs and review items', async () => {
    const ownKey = await tb.key('tenant', 'owner');
    const otherKey = await tb.key('tenant', 'stranger');
    const viewerKey = await tb.key('viewer');
    const { jobId } = await complete(tb, 'internal', 'Private question', {
      key: ownKey,
      metadata: { escalate: 'true' },
    });
    const item = await reviewOf(jobId!);

    for (const key of [ownKey, viewerKey]) {
      expectError(await tb.gql(ANSWER, { id: item.id, answer: 'no' }, key), 'FORBIDDEN');
    }
    expect(await job(tb, jobId!, otherKey)).toBeNull();
    expect(expectData(await tb.gql(REVIEW_ITEM, { id: item.id }, otherKey)).reviewItem).toBeNull();
    expect(expectData(await tb.gql(REVIEW_ITEMS, {}, otherKey)).reviewItems).toEqual([]);
    expectError(await tb.gql(REVIEW_ITEMS, { tenantId: 'owner' }, otherKey), 'FORBIDDEN');
    const others = expectData<{ jobs: { id: string }[] }>(await tb.gql('{ jobs { id } }', {}, otherKey)).jobs;
    expect(others).toEqual([]);

    expect(expectData(await tb.gql(REVIEW_ITEM, { id: item.id }, ownKey)).reviewItem).toMatchObject({ id: item.id });
    const own = expectData<{ reviewItems: ReviewData[] }>(await tb.gql(REVIEW_ITEMS, {}, ownKey)).reviewItems;
    expect(own.map((r) => r.tenantId)).toEqual(['owner']);
    const ownJobs = expectData<{ jobs: { id: string }[] }>(await tb.gql('{ jobs { id } }', {}, ownKey)).jobs;
    expect(ownJobs.map((j) => j.id)).toEqual([jobId]);
  });
});
