// Canary releases end to end: started, compared, promoted and rolled back through GraphQL, with traffic through the
// OpenAI-compatible endpoint (users named by the body's `user`), and the automatic rollback on a failing candidate.
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decisions } from '../../../drizzle/schema/index.js';
import { mountOpenAICompatible } from '../../../server/http/openai-compatible.js';
import type { Policy } from '../../../shared/contracts/policy.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError } from '../graphql/support.js';

const START = /* GraphQL */ `
  mutation ($input: StartCanaryInput!) {
    startCanary(input: $input) {
      id
      status
      candidateVersion
      baselineVersion
      percent
      stickyBy
    }
  }
`;
const CANARIES = /* GraphQL */ `
  query ($status: CanaryStatus) {
    canaries(scope: "global", status: $status) {
      id
      status
      endedBy
      endedReason
      comparison {
        canary {
          requests
          successRate
          errorRate
          fallbackRate
          avgCostUsd
          p95LatencyMs
        }
        baseline {
          requests
          successRate
          errorRate
          p95LatencyMs
        }
      }
    }
  }
`;
const PROMOTE = `mutation ($id: ID!) { promoteCanary(id: $id) { id status endedReason } }`;
const ROLLBACK = `mutation ($id: ID!) { rollbackCanary(id: $id) { id status endedReason } }`;
const ALERTS = `{ alertEvents(first: 50) { ruleId ruleName metric subject severity value threshold message } }`;

let tb: TestBackstop;
beforeAll(async () => {
  tb = await startTestBackstop({ app: { mount: mountOpenAICompatible } });
});
afterAll(() => tb.close());

/** The live global policy with critical traffic on `tiers` (drafts: the server fills the defaults) instead. */
async function candidate(tiers: Record<string, unknown>[], retry = {}): Promise<Policy> {
  const doc = structuredClone(await tb.services.policies.livePolicy('default'));
  const critical = doc.classes.critical!;
  doc.classes.critical = { ...critical, tiers: tiers as never, retry: { ...critical.retry, ...retry } };
  return doc;
}

/** One critical chat completion as `user`; its decision id and HTTP status. */
async function chat(user: string | undefined, content = 'hello') {
  const res = await tb.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content }], ...(user && { user }) }),
  });
  await res.arrayBuffer();
  return { status: res.status, decisionId: res.headers.get('x-backstop-decision-id')! };
}

async function recorded(ids: string[]) {
  await tb.services.decisions.flush();
  return tb.services.database.db.select().from(decisions).where(inArray(decisions.id, ids));
}

describe('canary releases', () => {
  let canaryId: string;

  it('keeps each user on one arm for every request, serving that arm’s version and route', async () => {
    const started = expectData(
      await tb.gql(START, {
        input: {
          scope: 'global',
          percent: 30,
          stickyBy: 'user',
          document: await candidate([{ kind: 'routes', routes: ['claude-sonnet-4'] }]),
        },
      }),
    ).startCanary;
    expect(started).toMatchObject({ status: 'running', candidateVersion: 2, baselineVersion: 1, stickyBy: 'user' });
    canaryId = started.id;

    const sent: { user: string; decisionId: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const user = `user-${i % 40}`;
      const { status, decisionId } = await chat(user, `question ${i}`);
      expect(status).toBe(200);
      sent.push({ user, decisionId });
    }
    const rows = await recorded(sent.map((s) => s.decisionId));
    expect(rows).toHaveLength(200);
    const byUser = new Map<string, Set<string>>();
    for (const row of rows) {
      expect(row.canaryId).toBe(canaryId);
      const arm = row.canaryArm!;
      expect(row.policyVersion).toBe(arm === 'canary' ? 2 : 1);
      expect(row.finalRouteId).toBe(arm === 'canary' ? 'claude-sonnet-4' : 'gpt-4o');
      byUser.set(row.userId!, (byUser.get(row.userId!) ?? new Set()).add(arm));
    }
    expect(byUser.size).toBe(40);
    expect([...byUser.values()].every((arms) => arms.size === 1)).toBe(true);
    const onCanary = [...byUser.values()].filter((arms) => arms.has('canary')).length;

    // A streamed request of a canary-arm user runs on the candidate too.
    const [canaryUser] = [...byUser].find(([, arms]) => arms.has('canary'))!;
    const streamed = await tb.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'critical',
        stream: true,
        user: canaryUser,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(await streamed.text()).toContain('[DONE]');
    const [row] = await recorded([streamed.headers.get('x-backstop-decision-id')!]);
    expect(row).toMatchObject({ canaryId, canaryArm: 'canary', policyVersion: 2, finalRouteId: 'claude-sonnet-4' });
    // 30% of 40 users is 12; a hash split of so few users strays a little.
    expect(onCanary).toBeGreaterThanOrEqual(4);
    expect(onCanary).toBeLessThanOrEqual(20);
  });

  it('compares the two arms, and refuses a second canary in the scope', async () => {
    await tb.services.decisions.flush();
    const [canary] = expectData(await tb.gql(CANARIES, { status: 'running' })).canaries;
    const { canary: arm, baseline } = canary.comparison;
    expect(arm.requests + baseline.requests).toBe(201); // 200 requests and the streamed one
    expect(arm.requests).toBeGreaterThan(0);
    expect(baseline.requests).toBeGreaterThan(0);
    expect(arm).toMatchObject({ successRate: 1, errorRate: 0, fallbackRate: 0 });
    expect(arm.p95LatencyMs).toEqual(expect.any(Number));
    const doc = await candidate([{ kind: 'routes', routes: ['gpt-4.1'] }]);
    const again = await tb.gql(START, { input: { scope: 'global', percent: 5, document: doc } });
    expect(expectError(again, 'CANARY_RUNNING').extensions?.canaryId).toBe(canaryId);
  });

  it('promotes the candidate: it is live for everyone, with no canary left on the decisions', async () => {
    const promoted = expectData(await tb.gql(PROMOTE, { id: canaryId })).promoteCanary;
    expect(promoted).toMatchObject({ status: 'promoted', endedReason: 'promoted by admin' });
    const { policy } = expectData(await tb.gql('{ policy(scope: "global") { version } }'));
    expect(policy.version).toBe(2);
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await chat(`user-${i}`)).decisionId);
    for (const row of await recorded(ids)) {
      expect(row).toMatchObject({ policyVersion: 2, finalRouteId: 'claude-sonnet-4', canaryId: null });
    }
    expectError(await tb.gql(ROLLBACK, { id: canaryId }), 'CONFLICT');
  });

  it('rolls a failing canary back on its own, raises an alert, and sends everyone to the baseline', async () => {
    tb.sim.setProfile('gpt-4.1', { errorRates: { '500': 1 } });
    try {
      const doc = await candidate([{ kind: 'routes', routes: ['gpt-4.1'] }], { maxRetriesPerRoute: 0 });
      const { id } = expectData(
        await tb.gql(START, {
          input: { scope: 'global', percent: 100, document: doc, maxErrorRate: 0.2, minRequests: 20 },
        }),
      ).startCanary;
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await chat(`failing-${i}`)).status);
      expect(statuses.every((s) => s >= 500)).toBe(true);

      // The guard ends the canary off the request path: wait (bounded) for its database write.
      await vi.waitFor(
        async () =>
          expect(expectData(await tb.gql(CANARIES, {})).canaries[0]).toMatchObject({ id, status: 'rolled_back' }),
        { timeout: 5_000, interval: 20 },
      );
      await tb.services.decisions.flush();
      const [ended] = expectData(await tb.gql(CANARIES, {})).canaries;
      expect(ended.endedBy).toBe('system');
      expect(ended.endedReason).toBe('error rate 100.0% above 20.0% after 20 canary requests');
      expect(ended.comparison.canary).toMatchObject({ requests: 20, errorRate: 1 });

      const { alertEvents } = expectData(await tb.gql(ALERTS));
      expect(alertEvents).toContainEqual(
        expect.objectContaining({
          ruleId: 'canary_rollback',
          metric: 'error_rate',
          subject: `canary:${id}`,
          severity: 'critical',
          value: 1,
          threshold: 0.2,
        }),
      );

      const after = [];
      for (let i = 0; i < 10; i++) after.push(await chat(`failing-${i}`));
      expect(after.map((r) => r.status)).toEqual(Array(10).fill(200));
      for (const row of await recorded(after.map((r) => r.decisionId))) {
        expect(row).toMatchObject({ policyVersion: 2, canaryId: null, outcome: 'success' });
      }
    } finally {
      tb.sim.clearProfile('gpt-4.1');
    }
  });

  it('answers bad input with typed errors and writes nothing', async () => {
    const doc = await candidate([{ kind: 'routes', routes: ['no-such-route'] }]);
    const invalid = expectError(
      await tb.gql(START, { input: { scope: 'global', percent: 10, document: doc } }),
      'BAD_USER_INPUT',
    );
    expect(invalid.extensions?.issues).toEqual([
      expect.objectContaining({ path: 'classes.critical.tiers.0.routes.0' }),
    ]);
    const bad = await tb.gql(START, {
      input: { scope: 'global', percent: 0, document: {}, maxErrorRate: 2 },
    });
    expect(expectError(bad, 'BAD_USER_INPUT').message).toMatch(
      /input\.percent: more than 0 percent; input\.maxErrorRate/,
    );
    expectError(await tb.gql(START, { input: { scope: 'nobody', percent: 10, document: doc } }), 'NOT_FOUND');
    expectError(await tb.gql(PROMOTE, { id: 'not-a-uuid' }), 'BAD_USER_INPUT');
    expectError(await tb.gql(PROMOTE, { id: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND');
    const viewer = await tb.key('viewer');
    expectError(await tb.gql(ROLLBACK, { id: canaryId }, viewer), 'FORBIDDEN');
    expect(expectData(await tb.gql(CANARIES, {}, viewer)).canaries).toHaveLength(2);
  });
});
