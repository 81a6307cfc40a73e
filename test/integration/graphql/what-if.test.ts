import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../shared/engine/policy-matrix.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError } from './support.js';

const METRICS = /* GraphQL */ `
  fragment WhatIfMetricsFields on WhatIfMetrics {
    requests
    answered
    success
    degraded
    failed
    deferred
    fallbacks
    fallbackRate
    calls
    costUsd
    p95LatencyMs
    tierActivation {
      tier
      requests
    }
    errors {
      code
      requests
    }
  }
`;
const WHAT_IF = /* GraphQL */ `
  query ($input: WhatIfReplayInput!) {
    whatIfReplay(input: $input) {
      tenantId
      requests
      excluded
      draftIsPublished
      overall {
        recorded {
          ...WhatIfMetricsFields
        }
        published {
          ...WhatIfMetricsFields
        }
        draft {
          ...WhatIfMetricsFields
        }
        delta {
          success
          degraded
          fallbacks
          costUsd
          tierActivation {
            tier
            requests
          }
        }
      }
      groups {
        tenantId
        trafficClass
        published {
          requests
          tierActivation {
            tier
            requests
          }
        }
        draft {
          requests
          fallbacks
          tierActivation {
            tier
            requests
          }
        }
      }
      changedDecisions
      changes {
        decisionId
        tenantId
        published {
          outcome
          finalRouteId
          finalTier
        }
        draft {
          outcome
          finalRouteId
          finalTier
        }
      }
      bandCrossings {
        recorded {
          tenantId
        }
        published {
          tenantId
        }
        draft {
          tenantId
        }
      }
      sources {
        published {
          reusedCalls
          sampledCalls
          assumedCalls
          unobservedRoutes
        }
        draft {
          reusedCalls
          sampledCalls
          assumedCalls
        }
      }
    }
  }
  ${METRICS}
`;
const COMPLETE = `mutation ($input: CompleteInput!) { complete(input: $input) { routeId tier decisionId } }`;

/** The default policy with critical's primary and first fallback swapped. */
function swappedDraft() {
  const doc = structuredClone(DEFAULT_POLICY);
  const [primary, fallback, ...rest] = doc.classes.critical!.tiers!;
  doc.classes.critical!.tiers = [fallback!, primary!, ...rest];
  return doc;
}

let tb: TestBackstop;
let acmeKey: string;
let globexKey: string;
let viewerKey: string;
let window: { from: string; to: string };
const acmeDecisions: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  globexKey = await tb.key('tenant', 'globex');
  viewerKey = await tb.key('viewer');
  const complete = async (key: string, content: string, trafficClass = 'critical') => {
    const input = { trafficClass, messages: [{ role: 'user', content }] };
    const { complete } = expectData<{ complete: { decisionId: string } }>(await tb.gql(COMPLETE, { input }, key));
    return complete.decisionId;
  };
  for (let i = 0; i < 3; i++) acmeDecisions.push(await complete(acmeKey, `healthy ${i}`));
  // gpt-4o answers every call with a 500: each request retries it once, then claude-sonnet-4 answers. The fifth
  // failure (acme's third request) opens gpt-4o's breaker, so globex's requests skip it.
  tb.sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });
  try {
    for (let i = 0; i < 3; i++) acmeDecisions.push(await complete(acmeKey, `outage ${i}`));
    for (let i = 0; i < 2; i++) await complete(globexKey, `outage ${i}`);
  } finally {
    tb.sim.clearProfile('gpt-4o');
  }
  acmeDecisions.push(await complete(acmeKey, 'a cheap one', 'non_critical'));
  await tb.services.decisions.flush();
  window = { from: new Date(started - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
});
afterAll(() => tb.close());

type Report = { whatIfReplay: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const replay = async (extra: Record<string, unknown> = {}, key?: string) =>
  expectData<Report>(await tb.gql(WHAT_IF, { input: { ...window, ...extra } }, key)).whatIfReplay;

describe('whatIfReplay', () => {
  it('replays the published policy to the stored reality: same requests, outcomes and tier activation', async () => {
    const report = await replay({ tenantId: 'acme' });
    expect(report).toMatchObject({ tenantId: 'acme', requests: 7, excluded: 0, draftIsPublished: true });
    const { recorded, published } = report.overall;
    expect(recorded).toMatchObject({
      requests: 7,
      success: 4,
      degraded: 3,
      failed: 0,
      fallbacks: 3,
      tierActivation: [
        { tier: 0, requests: 4 },
        { tier: 1, requests: 3 },
      ],
    });
    // Latency leaves out the gateway's own overhead, so the replay is never slower than what was recorded.
    expect({ ...published, costUsd: 0, p95LatencyMs: 0 }).toEqual({ ...recorded, costUsd: 0, p95LatencyMs: 0 });
    expect(published.costUsd).toBeCloseTo(recorded.costUsd, 9);
    expect(published.p95LatencyMs).toBeLessThanOrEqual(recorded.p95LatencyMs);
    // Every call was replayed as recorded; the retry the opened breaker prevented is prevented again.
    expect(report.sources.published).toEqual({
      reusedCalls: recorded.calls,
      sampledCalls: 0,
      assumedCalls: 0,
      unobservedRoutes: [],
    });
    expect(report.changedDecisions).toBe(0);
    expect(report.overall.delta).toMatchObject({ success: 0, fallbacks: 0, costUsd: 0 });
  });

  it('replays a draft that swaps primary and first fallback beside the published policy', async () => {
    const report = await replay({ tenantId: 'acme', draft: swappedDraft() });
    expect(report.draftIsPublished).toBe(false);
    const critical = report.groups.find((g: { trafficClass: string }) => g.trafficClass === 'critical');
    expect(critical.published.tierActivation).toEqual([
      { tier: 0, requests: 3 },
      { tier: 1, requests: 3 },
    ]);
    // claude-sonnet-4 first: it answered every call of the window, so every critical request ends on tier 0.
    expect(critical.draft).toEqual({ requests: 6, fallbacks: 0, tierActivation: [{ tier: 0, requests: 6 }] });
    expect(report.overall.delta).toMatchObject({
      success: 3,
      degraded: -3,
      fallbacks: -3,
      tierActivation: [
        { tier: 0, requests: 3 },
        { tier: 1, requests: -3 },
      ],
    });
    // claude-sonnet-4 costs more than gpt-4o for the three requests gpt-4o used to answer.
    expect(report.overall.delta.costUsd).toBeGreaterThan(0);
    expect(report.changedDecisions).toBe(6);
    expect(report.changes[0]).toMatchObject({
      decisionId: acmeDecisions[0],
      published: { outcome: 'success', finalRouteId: 'gpt-4o', finalTier: 0 },
      draft: { outcome: 'success', finalRouteId: 'claude-sonnet-4', finalTier: 0 },
    });
    expect(report.sources.draft).toMatchObject({ sampledCalls: 3, assumedCalls: 0 });
  });

  it('gives the same report twice for the same window and draft', async () => {
    const input = { draft: swappedDraft() };
    expect(await replay(input)).toEqual(await replay(input));
  });

  it('replays every tenant for staff, and one tenant on request, read-only for viewers', async () => {
    const all = await replay({}, viewerKey);
    expect(all.tenantId).toBeNull();
    expect(all.groups.map((g: { tenantId: string; trafficClass: string }) => [g.tenantId, g.trafficClass])).toEqual([
      ['acme', 'critical'],
      ['acme', 'non_critical'],
      ['globex', 'critical'],
    ]);
    const globex = await replay({ tenantId: 'globex', draft: swappedDraft() }, viewerKey);
    expect(globex.overall.recorded).toMatchObject({ requests: 2, degraded: 2 });
    expect(globex.overall.published.tierActivation).toEqual(globex.overall.recorded.tierActivation);
  });

  it('lets a tenant key replay only its own tenant’s decisions', async () => {
    const own = await replay({ draft: swappedDraft() }, globexKey);
    expect(own.tenantId).toBe('globex');
    expect(own.requests).toBe(2);
    expect(JSON.stringify(own)).not.toContain('acme');
    for (const id of acmeDecisions) expect(JSON.stringify(own)).not.toContain(id);
    const res = await tb.gql(WHAT_IF, { input: { ...window, tenantId: 'acme' } }, globexKey);
    expectError(res, 'FORBIDDEN');
    expect(res.data ?? null).toBeNull();
  });

  it('refuses an invalid draft, an empty window and a missing key with typed errors', async () => {
    const bad = structuredClone(DEFAULT_POLICY);
    bad.classes.critical!.tiers = [{ kind: 'routes', routes: ['no-such-route'] }];
    const error = expectError(await tb.gql(WHAT_IF, { input: { ...window, draft: bad } }), 'BAD_USER_INPUT');
    expect(error.extensions!.issues).toEqual([
      { path: 'classes.critical.tiers.0.routes.0', message: 'unknown route "no-such-route"' },
    ]);
    expectError(await tb.gql(WHAT_IF, { input: { ...window, draft: [1] } }), 'BAD_USER_INPUT');
    expectError(await tb.gql(WHAT_IF, { input: { from: window.to, to: window.from } }), 'BAD_USER_INPUT');
    expectError(await tb.gql(WHAT_IF, { input: window }, null), 'UNAUTHENTICATED');
  });
});
