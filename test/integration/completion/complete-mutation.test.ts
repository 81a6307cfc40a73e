import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { decisions, idempotencyKeys } from '../../../drizzle/schema/index.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

const COMPLETE = /* GraphQL */ `
  mutation Complete($input: CompleteInput!) {
    complete(input: $input) {
      status
      content
      routeId
      provider
      model
      tier
      degraded
      degradedReasons
      uncertain
      attempts
      decisionId
      policyVersion
      costUsd
      latencyMs
      usage {
        inputTokens
        outputTokens
      }
    }
  }
`;
const ask = (extra: Record<string, unknown> = {}) => ({
  input: {
    trafficClass: 'critical',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    ...extra,
  },
});

let tb: TestBackstop;
beforeAll(async () => {
  tb = await startTestBackstop();
});
afterAll(() => tb.close());

const decisionCount = async () => {
  await tb.services.decisions.flush();
  const [row] = await tb.services.database.db.select({ n: count() }).from(decisions);
  return row!.n;
};

describe('complete mutation', () => {
  it('answers through the policy and returns the decision facts', async () => {
    const res = await tb.gql<{ complete: Record<string, unknown> }>(COMPLETE, ask());
    expect(res.errors).toBeUndefined();
    expect(res.data!.complete).toMatchObject({
      status: 'answered',
      routeId: 'gpt-4o',
      provider: 'openai',
      tier: 0,
      degraded: false,
      attempts: 1,
      policyVersion: 1,
    });
    expect(res.data!.complete.content).toContain('capital of France');
    expect((res.data!.complete.usage as { inputTokens: number }).inputTokens).toBeGreaterThan(0);
  });

  it('falls back when the primary fails and says so', async () => {
    tb.sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });
    try {
      const res = await tb.gql<{ complete: Record<string, unknown> }>(COMPLETE, ask());
      expect(res.data!.complete).toMatchObject({
        routeId: 'claude-sonnet-4',
        tier: 1,
        degraded: true,
        degradedReasons: ['fallback'],
      });
    } finally {
      tb.sim.clearProfile('gpt-4o');
    }
  });

  it('keeps a hash and size of the prompt but not its text, by default', async () => {
    const res = await tb.gql<{ complete: { decisionId: string } }>(
      COMPLETE,
      ask({ messages: [{ role: 'user', content: 'my email is jane@example.com' }] }),
    );
    await tb.services.decisions.flush();
    const [row] = await tb.services.database.db
      .select()
      .from(decisions)
      .where(eq(decisions.id, res.data!.complete.decisionId));
    expect(row).toMatchObject({ tenantId: 'default', promptChars: expect.any(Number), content: null });
    expect(row!.promptHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain('jane@example.com');
  });

  it('stores redacted content for a tenant that opted in', async () => {
    await tb.services.tenants.ensureTenant('loud');
    await tb.services.tenants.updateTenant({ keyId: randomUUID(), role: 'admin', tenantId: null }, 'loud', {
      contentLogging: true,
    });
    const key = await tb.key('tenant', 'loud');
    const res = await tb.gql<{ complete: { decisionId: string } }>(
      COMPLETE,
      ask({ messages: [{ role: 'user', content: 'card 4111 1111 1111 1111, mail jane@example.com' }] }),
      key,
    );
    await tb.services.decisions.flush();
    const [row] = await tb.services.database.db
      .select()
      .from(decisions)
      .where(eq(decisions.id, res.data!.complete.decisionId));
    const content = JSON.stringify(row!.content);
    expect(content).toContain('[card]');
    expect(content).toContain('[email]');
    expect(content).not.toContain('4111');
  });

  it('returns the stored result for a repeated idempotency key without calling again', async () => {
    const before = tb.sim.stats().total;
    const first = await tb.gql<{ complete: { decisionId: string } }>(COMPLETE, ask({ idempotencyKey: 'order-42' }));
    const second = await tb.gql<{ complete: { decisionId: string } }>(COMPLETE, ask({ idempotencyKey: 'order-42' }));
    expect(second.data!.complete.decisionId).toBe(first.data!.complete.decisionId);
    expect(tb.sim.stats().total - before).toBe(1);
    const [n] = await tb.services.database.db.select({ n: count() }).from(idempotencyKeys);
    expect(n!.n).toBe(1);
  });
});

describe('complete mutation errors', () => {
  it.each([
    ['no key', null, 'UNAUTHENTICATED'],
    ['a bad key', 'bk_admin_not-a-real-key-at-all-0000000000', 'UNAUTHENTICATED'],
  ])('refuses %s', async (_, key, code) => {
    const res = await tb.gql(COMPLETE, ask(), key);
    expect(res.errors![0]!.extensions!.code).toBe(code);
  });

  it('refuses a viewer key', async () => {
    const res = await tb.gql(COMPLETE, ask(), await tb.key('viewer'));
    expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('refuses a tenant key acting for another tenant', async () => {
    const res = await tb.gql(COMPLETE, ask({ tenantId: 'default' }), await tb.key('tenant', 'acme'));
    expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('reports a quota error naming the budget', async () => {
    await tb.services.tenants.ensureTenant('broke');
    await tb.services.budgets.setBudget('broke', {
      monthlyLimitUsd: 0,
      prepaidBalanceUsd: null,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    const res = await tb.gql(COMPLETE, ask(), await tb.key('tenant', 'broke'));
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'QUOTA_EXHAUSTED', decisionId: expect.any(String) });
    expect(res.errors![0]!.message).toMatch(/monthly budget of tenant broke/);
  });

  it('reports ALL_TIERS_FAILED when nothing can answer', async () => {
    tb.sim.setProfile('gpt-4.1', { errorRates: { 500: 1 } });
    try {
      const res = await tb.gql(COMPLETE, ask({ trafficClass: 'experiment' }));
      expect(res.errors![0]!.extensions!.code).toBe('ALL_TIERS_FAILED');
    } finally {
      tb.sim.clearProfile('gpt-4.1');
    }
  });

  it('reports DOWNGRADE_FORBIDDEN for sensitive work that only a weaker model could answer', async () => {
    tb.sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });
    tb.sim.setProfile('claude-sonnet-4-20250514', { errorRates: { 529: 1 } });
    try {
      const res = await tb.gql(COMPLETE, ask({ sensitive: true }));
      expect(res.errors![0]!.extensions!.code).toBe('DOWNGRADE_FORBIDDEN');
    } finally {
      tb.sim.clearProfile('gpt-4o');
      tb.sim.clearProfile('claude-sonnet-4-20250514');
    }
  });

  it.each([
    ['empty messages', ask({ messages: [] }), 'BAD_USER_INPUT', /messages/],
    ['a negative maxTokens', ask({ params: { maxTokens: -5 } }), 'BAD_USER_INPUT', /params\.maxTokens/],
    [
      'a tool message without toolCallId',
      ask({ messages: [{ role: 'tool', content: 'x' }] }),
      'BAD_USER_INPUT',
      /toolCallId/,
    ],
    ['an unknown class', ask({ trafficClass: 'vip' }), undefined, /TrafficClass/],
  ])('rejects %s with a clear error and writes nothing', async (_, vars, code, message) => {
    const before = await decisionCount();
    const res = await tb.gql(COMPLETE, vars);
    expect(res.errors![0]!.message).toMatch(message);
    if (code) expect(res.errors![0]!.extensions!.code).toBe(code);
    expect(await decisionCount()).toBe(before);
  });

  it('rejects malformed GraphQL', async () => {
    const res = await tb.gql('mutation { complete(input: { ', {});
    expect(res.errors![0]!.message).toMatch(/Syntax Error/);
  });

  it('rejects an oversized body with 413 and a JSON error', async () => {
    const res = await tb.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: COMPLETE,
        variables: ask({ messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] }),
      }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});
