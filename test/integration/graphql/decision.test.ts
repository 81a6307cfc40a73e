import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { ask, COMPLETE, expectData, expectError, expectRejected, fallbackDecision } from './support.js';

const DECISIONS = /* GraphQL */ `
  query ($filter: DecisionFilter, $first: Int, $after: String) {
    decisions(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          tenantId
          trafficClass
          outcome
          degraded
          degradedReasons
          finalRouteId
          policyVersion
          startedAt
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        endCursor
      }
    }
  }
`;
const DECISION = /* GraphQL */ `
  query ($id: ID!) {
    decision(id: $id) {
      id
      tenant {
        id
      }
      attempts {
        index
        tier
        routeId
        outcome
        failureKind
        status
        breakerState
      }
    }
  }
`;

interface Page {
  decisions: {
    edges: { cursor: string; node: Record<string, unknown> & { id: string; tenantId: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

let tb: TestBackstop;
let acmeKey: string;
const T0 = Date.UTC(2026, 0, 15, 12);
beforeAll(async () => {
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  await tb.services.tenants.ensureTenant('globex');
  // Six recorded decisions a minute apart (old), then two live completions (now).
  for (let i = 0; i < 6; i++)
    tb.services.decisions.record(fallbackDecision(`old-${i}`, i % 2 ? 'globex' : 'acme', T0 + i * 60_000));
  expectData(await tb.gql(COMPLETE, ask('from acme'), acmeKey));
  expectData(await tb.gql(COMPLETE, ask('from globex', { tenantId: 'globex' })));
  await tb.services.decisions.flush();
});
afterAll(() => tb.close());

const page = async (vars: Record<string, unknown>, key?: string) =>
  expectData<Page>(await tb.gql(DECISIONS, vars, key)).decisions;

describe('decisions', () => {
  it('pages newest first with keyset cursors, without overlap', async () => {
    const first = await page({ first: 3 });
    expect(first.edges).toHaveLength(3);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first.edges.at(-1)!.cursor).toBe(first.pageInfo.endCursor);

    const seen = [...first.edges];
    let info = first.pageInfo;
    while (info.hasNextPage) {
      const next = await page({ first: 3, after: info.endCursor });
      expect(next.pageInfo.hasPreviousPage).toBe(true);
      seen.push(...next.edges);
      info = next.pageInfo;
    }
    expect(seen.map((e) => e.node.id)).toHaveLength(8);
    expect(new Set(seen.map((e) => e.node.id)).size).toBe(8);
    const times = seen.map((e) => Date.parse(String(e.node.startedAt)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('filters by tenant, class, route, outcome, degradation and time', async () => {
    const ids = async (filter: Record<string, unknown>) =>
      (await page({ filter, first: 50 })).edges.map((e) => e.node.id).sort();
    expect(await ids({ tenantId: 'globex', degraded: true })).toEqual(['old-1', 'old-3', 'old-5']);
    expect(await ids({ routeId: 'claude-sonnet-4', outcome: 'degraded', trafficClass: 'critical' })).toHaveLength(6);
    expect(await ids({ degraded: false })).toHaveLength(2);
    expect(
      await ids({ from: new Date(T0 + 60_000).toISOString(), to: new Date(T0 + 3 * 60_000).toISOString() }),
    ).toEqual(['old-1', 'old-2']);
    expect(await ids({ trafficClass: 'batch' })).toEqual([]);
  });

  it('shows a decision with its attempts and tenant', async () => {
    const { decision } = expectData(await tb.gql(DECISION, { id: 'old-2' }));
    expect(decision).toEqual({
      id: 'old-2',
      tenant: { id: 'acme' },
      attempts: [
        {
          index: 0,
          tier: 0,
          routeId: 'gpt-4o',
          outcome: 'failure',
          failureKind: 'server_error',
          status: 500,
          breakerState: 'closed',
        },
        {
          index: 1,
          tier: 1,
          routeId: 'claude-sonnet-4',
          outcome: 'success',
          failureKind: null,
          status: null,
          breakerState: 'closed',
        },
      ],
    });
    expect(expectData(await tb.gql(DECISION, { id: 'nope' }))).toEqual({ decision: null });
  });

  it('pins tenant keys to their own decisions', async () => {
    const own = await page({ first: 50 }, acmeKey);
    expect(own.edges.length).toBe(4);
    expect(own.edges.every((e) => e.node.tenantId === 'acme')).toBe(true);
    expectError(await tb.gql(DECISIONS, { filter: { tenantId: 'globex' } }, acmeKey), 'FORBIDDEN');
    expect(expectData(await tb.gql(DECISION, { id: 'old-1' }, acmeKey))).toEqual({ decision: null });
    expect(expectData(await tb.gql(DECISION, { id: 'old-0' }, acmeKey)).decision.tenant).toEqual({ id: 'acme' });
  });

  it('rejects a bad page size, cursor or window with BAD_USER_INPUT naming the argument', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ first: 0 }, 'first'],
      [{ first: 201 }, 'first'],
      [{ after: 'not-a-cursor' }, 'after'],
      [{ filter: { from: new Date(T0).toISOString(), to: new Date(T0).toISOString() } }, 'filter.to'],
    ];
    for (const [vars, path] of cases) {
      const error = await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(DECISIONS, vars));
      expect(error.extensions!.issues).toEqual([expect.objectContaining({ path })]);
    }
  });
});
