import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema } from '../contracts/completion.js';
import type { PolicyInput } from '../contracts/policy.js';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';

const lowConfidence = (answer: string, p = 0.3) => ({
  answer,
  result: { tokenLogprobs: [Math.log(p), Math.log(p)] },
});

/** internal with a confidence floor and no degrade tier: only the two low-cost routes. */
const withFloor = (minConfidence: number, extra: (p: PolicyInput) => void = () => undefined) =>
  createEngineHarness({
    policy: (p) => {
      p.classes.internal.tiers = [
        { kind: 'routes', routes: ['gpt-4.1-nano'] },
        { kind: 'routes', routes: ['gemini-2.0-flash'] },
      ];
      p.classes.internal.quality = { nonEmpty: true, rejectTruncated: true, rejectRefusal: true, minConfidence };
      extra(p);
      return p;
    },
  });

describe('human review of low-confidence answers', () => {
  it('hands answers below the confidence floor to review, with each candidate and its confidence', async () => {
    const h = withFloor(0.8);
    h.providers.always('gpt-4.1-nano', lowConfidence('Paris, probably', 0.3));
    h.providers.always('gemini-2.0-flash', lowConfidence('Lyon?', 0.5));
    const r = await h.run(ask('internal'));
    expect(r).toMatchObject({ status: 'in_review', source: 'human_review', content: '', jobId: 'job-1' });
    expect(r.degradedReasons).toContain('human_review');
    const job = h.workQueue.jobs[0]!;
    expect(job).toMatchObject({ kind: 'review', decisionId: r.decisionId });
    expect(job.reason).toMatch(/confidence below minimum/);
    expect(job.candidates).toEqual([
      { routeId: 'gpt-4.1-nano', content: 'Paris, probably', confidence: expect.closeTo(0.3, 5) },
      { routeId: 'gemini-2.0-flash', content: 'Lyon?', confidence: expect.closeTo(0.5, 5) },
    ]);
    expect(h.decisions[0]).toMatchObject({ outcome: 'in_review', jobId: 'job-1', finalRouteId: null });
  });

  it('keeps the answer of a later route that clears the floor, with no review', async () => {
    const h = withFloor(0.8);
    h.providers.always('gpt-4.1-nano', lowConfidence('Paris, probably'));
    h.providers.always('gemini-2.0-flash', lowConfidence('Paris', 0.95));
    const r = await h.run(ask('internal'));
    expect(r).toMatchObject({ status: 'answered', routeId: 'gemini-2.0-flash', content: 'Paris' });
    expect(h.workQueue.jobs).toHaveLength(0);
  });

  it('fails as before when no answer fell below the floor (other guards only)', async () => {
    const h = withFloor(0.8);
    h.providers.always('gpt-4.1-nano', { answer: 'cut off', result: { finishReason: 'length' } });
    h.providers.always('gemini-2.0-flash', { fail: 'server_error' });
    expect((await rejection(h.run(ask('internal')))).code).toBe('ALL_TIERS_FAILED');
    expect(h.workQueue.jobs).toHaveLength(0);
  });

  it('respects a fail-fast tier: low-confidence answers are not held for review', async () => {
    const h = withFloor(0.8, (p) => p.classes.internal.tiers.push({ kind: 'degrade', modes: ['fail_fast'] }));
    h.providers.always('gpt-4.1-nano', lowConfidence('maybe'));
    h.providers.always('gemini-2.0-flash', lowConfidence('maybe not'));
    expect((await rejection(h.run(ask('internal')))).code).toBe('ALL_TIERS_FAILED');
    expect(h.workQueue.jobs).toHaveLength(0);
  });

  it('passes answers that failed any quality guard to a human_review tier as candidates', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.batch.tiers = [
          { kind: 'routes', routes: ['gpt-4.1-nano'] },
          { kind: 'routes', routes: ['gemini-2.0-flash'] },
          { kind: 'degrade', modes: ['human_review'] },
        ];
        return p;
      },
    });
    h.providers.always('gpt-4.1-nano', { answer: 'The capital of Fra', result: { finishReason: 'length' } });
    h.providers.always('gemini-2.0-flash', { fail: 'server_error' });
    const r = await h.run(ask('batch'));
    expect(r).toMatchObject({ status: 'in_review', tier: 2 });
    expect(h.workQueue.jobs[0]!.candidates).toEqual([
      { routeId: 'gpt-4.1-nano', content: 'The capital of Fra', confidence: null },
    ]);
  });
});

describe('escalation (metadata escalate: "true")', () => {
  it('holds the answer for review as a candidate instead of returning it', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1-nano', lowConfidence('Paris', 0.9));
    const r = await h.run(ask('internal', { metadata: { escalate: 'true' } }));
    expect(r).toMatchObject({ status: 'in_review', content: '', source: 'human_review', attempts: 1 });
    expect(r.costUsd).toBeGreaterThan(0);
    expect(h.workQueue.jobs[0]).toMatchObject({
      kind: 'review',
      reason: expect.stringMatching(/escalated/),
      candidates: [{ routeId: 'gpt-4.1-nano', content: 'Paris', confidence: expect.closeTo(0.9, 5) }],
    });
  });

  it('returns the answer when there is no work queue to hold it', async () => {
    const h = createEngineHarness({ engine: { workQueue: undefined } });
    const r = await h.run(ask('internal', { metadata: { escalate: 'true' } }));
    expect(r).toMatchObject({ status: 'answered', content: 'ok from gpt-4.1-nano' });
  });

  it('does not hold a streamed answer, whose text the caller already has', async () => {
    const h = createEngineHarness();
    const request = CompletionRequestSchema.parse(ask('internal', { metadata: { escalate: 'true' } }));
    const events = h.engine.stream({ tenantId: 't1', policy: h.policy, request });
    const seen = await h.clock.run(
      (async () => {
        const all = [];
        for await (const e of events) all.push(e);
        return all;
      })(),
    );
    expect(seen.at(-1)).toMatchObject({ type: 'done', result: { status: 'answered' } });
    expect(h.workQueue.jobs).toHaveLength(0);
  });
});

describe('a deferred job run again by a worker (CompleteInput.jobId)', () => {
  const rerun = (h: ReturnType<typeof createEngineHarness>, jobId: string) =>
    h.clock.run(
      h.engine.complete({
        tenantId: 't1',
        policy: h.policy,
        request: CompletionRequestSchema.parse(ask('internal')),
        jobId,
      }),
    );

  it('stamps the job id on the decision of a run that answers', async () => {
    const h = createEngineHarness();
    const r = await rerun(h, 'job-7');
    expect(r).toMatchObject({ status: 'answered', routeId: 'gpt-4.1-nano' });
    expect(r.jobId).toBeUndefined();
    expect(h.decisions[0]).toMatchObject({ outcome: 'success', jobId: 'job-7' });
  });

  it('keeps the same job when the routes still fail, and says so to the queue', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1-nano', { fail: 'server_error' });
    h.providers.always('gemini-2.0-flash', { fail: 'server_error' });
    const r = await rerun(h, 'job-7');
    expect(r).toMatchObject({ status: 'queued', jobId: 'job-7' });
    expect(h.workQueue.jobs).toEqual([expect.objectContaining({ kind: 'retry', jobId: 'job-7' })]);
    expect(h.decisions[0]).toMatchObject({ outcome: 'queued', jobId: 'job-7' });
  });

  it('stamps the job id on a failed run too', async () => {
    const h = createEngineHarness({
      budgets: { t1: { monthlyLimitUsd: 100, prepaidBalanceUsd: null, dailyLimitUsd: 0, retryBudgetPerDay: null } },
    });
    expect((await rejection(rerun(h, 'job-7'))).code).toBe('QUOTA_EXHAUSTED');
    expect(h.decisions[0]).toMatchObject({ outcome: 'failed', jobId: 'job-7' });
  });
});
