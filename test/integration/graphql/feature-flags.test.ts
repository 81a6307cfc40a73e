import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { ask, COMPLETE, expectData, expectError } from './support.js';

const FLAGS = '{ featureFlags { id scope routeId tier trafficClass enabled reason updatedBy updatedAt } }';
const SET_ROUTE = /* GraphQL */ `
  mutation ($routeId: ID!, $enabled: Boolean!, $reason: String!) {
    setRouteEnabled(routeId: $routeId, enabled: $enabled, reason: $reason) {
      id
      enabled
      reason
      updatedBy
    }
  }
`;
const SET_TIER = /* GraphQL */ `
  mutation ($tier: Int!, $trafficClass: TrafficClass, $enabled: Boolean!, $reason: String!) {
    setTierEnabled(tier: $tier, trafficClass: $trafficClass, enabled: $enabled, reason: $reason) {
      id
      scope
      tier
      trafficClass
      enabled
    }
  }
`;
const ATTEMPTS = /* GraphQL */ `
  query ($id: ID!) {
    decision(id: $id) {
      attempts {
        tier
        routeId
        outcome
        skipReason
      }
    }
  }
`;

let tb: TestBackstop;
let adminKeyId: string;
beforeAll(async () => {
  tb = await startTestBackstop();
  adminKeyId = expectData(await tb.gql('{ me { keyId } }')).me.keyId;
});
afterAll(() => tb.close());

/** A critical completion through GraphQL; its answering route and its decision's attempts. */
async function completeCritical(content: string) {
  const { complete } = expectData(await tb.gql(COMPLETE, ask(content)));
  await tb.services.decisions.flush();
  const { decision } = expectData(await tb.gql(ATTEMPTS, { id: complete.decisionId }));
  return { routeId: complete.routeId as string, attempts: decision.attempts as Record<string, unknown>[] };
}

describe('route feature flags', () => {
  it('skips a route switched off, records why in the decision, and uses it again once back on', async () => {
    const off = expectData(
      await tb.gql(SET_ROUTE, { routeId: 'gpt-4o', enabled: false, reason: 'provider incident INC-42' }),
    );
    expect(off.setRouteEnabled).toEqual({
      id: 'route:gpt-4o',
      enabled: false,
      reason: 'provider incident INC-42',
      updatedBy: adminKeyId,
    });

    const skipped = await completeCritical('while off');
    expect(skipped.routeId).toBe('claude-sonnet-4');
    expect(skipped.attempts).toEqual([
      { tier: 0, routeId: 'gpt-4o', outcome: 'skipped', skipReason: 'disabled' },
      { tier: 1, routeId: 'claude-sonnet-4', outcome: 'success', skipReason: null },
    ]);

    expectData(await tb.gql(SET_ROUTE, { routeId: 'gpt-4o', enabled: true, reason: 'INC-42 resolved' }));
    const back = await completeCritical('back on');
    expect(back.routeId).toBe('gpt-4o');
    expect(back.attempts).toEqual([{ tier: 0, routeId: 'gpt-4o', outcome: 'success', skipReason: null }]);

    const { auditLog } = expectData(await tb.gql('{ auditLog(first: 2) { actorKeyId action target details } }'));
    expect([...auditLog].reverse()).toEqual([
      {
        actorKeyId: adminKeyId,
        action: 'feature_flag.disabled',
        target: 'route:gpt-4o',
        details: { reason: 'provider incident INC-42' },
      },
      {
        actorKeyId: adminKeyId,
        action: 'feature_flag.enabled',
        target: 'route:gpt-4o',
        details: { reason: 'INC-42 resolved' },
      },
    ]);
  });

  it('switches a tier off for one traffic class only', async () => {
    const set = expectData(
      await tb.gql(SET_TIER, { tier: 0, trafficClass: 'critical', enabled: false, reason: 'primary drill' }),
    );
    expect(set.setTierEnabled).toEqual({
      id: 'tier:0:critical',
      scope: 'tier',
      tier: 0,
      trafficClass: 'critical',
      enabled: false,
    });
    expect((await completeCritical('tier off')).routeId).toBe('claude-sonnet-4');
    const other = expectData(await tb.gql(COMPLETE, ask('other class', { trafficClass: 'non_critical' })));
    expect(other.complete.routeId).toBe('claude-3-5-haiku');
    expectData(await tb.gql(SET_TIER, { tier: 0, trafficClass: 'critical', enabled: true, reason: 'drill over' }));
    expect((await completeCritical('tier on')).routeId).toBe('gpt-4o');
  });

  it('lists every flag for staff, with who changed it and why', async () => {
    const viewer = await tb.key('viewer');
    const { featureFlags } = expectData(await tb.gql(FLAGS, {}, viewer));
    expect(featureFlags.map((f: { id: string; enabled: boolean }) => [f.id, f.enabled])).toEqual([
      ['route:gpt-4o', true],
      ['tier:0:critical', true],
    ]);
    expect(featureFlags[0]).toMatchObject({ scope: 'route', routeId: 'gpt-4o', tier: null, updatedBy: adminKeyId });
    expect(Date.parse(featureFlags[0].updatedAt)).not.toBeNaN();
  });
});

describe('feature flag access and input', () => {
  it('is for admins to change and staff to read: tenant and viewer keys are FORBIDDEN', async () => {
    const tenant = await tb.key('tenant', 'acme');
    const viewer = await tb.key('viewer');
    for (const key of [tenant, viewer]) {
      expectError(await tb.gql(SET_ROUTE, { routeId: 'gpt-4o', enabled: false, reason: 'x' }, key), 'FORBIDDEN');
      expectError(await tb.gql(SET_TIER, { tier: 1, enabled: false, reason: 'x' }, key), 'FORBIDDEN');
    }
    expectError(await tb.gql(FLAGS, {}, tenant), 'FORBIDDEN');
    expectError(await tb.gql(FLAGS, {}, null), 'UNAUTHENTICATED');
    expect(tb.services.featureFlags.list().every((f) => f.enabled)).toBe(true);
  });

  it('answers NOT_FOUND for a route outside the catalogue and BAD_USER_INPUT for a bad tier or no reason', async () => {
    const before = tb.services.featureFlags.list();
    const unknown = expectError(
      await tb.gql(SET_ROUTE, { routeId: 'gpt-5', enabled: false, reason: 'x' }),
      'NOT_FOUND',
    );
    expect(unknown.message).toBe('no route "gpt-5"');
    for (const tier of [-1, 3]) {
      const bad = expectError(await tb.gql(SET_TIER, { tier, enabled: false, reason: 'x' }), 'BAD_USER_INPUT');
      expect(bad.message).toContain('tier:');
    }
    const blank = expectError(
      await tb.gql(SET_ROUTE, { routeId: 'gpt-4o', enabled: false, reason: '   ' }),
      'BAD_USER_INPUT',
    );
    expect(blank.message).toContain('reason:');
    expect(tb.services.featureFlags.list()).toEqual(before);
  });
});
