import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError, expectRejected, fallbackDecision } from './support.js';

const WINDOW = `from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"`;

// Every field that holds tenant data, asked by acme about globex. Each must refuse or come back empty.
const FORBIDDEN_FOR_OTHER_TENANT: [string, string][] = [
  ['tenant', '{ tenant(id: "globex") { id } }'],
  ['budget', '{ budget(tenantId: "globex") { spentUsd } }'],
  ['policy', '{ policy(scope: "globex") { version } }'],
  ['policyVersions', '{ policyVersions(scope: "globex") { version } }'],
  ['diffPolicy', '{ diffPolicy(scope: "globex", document: {}) { valid } }'],
  ['decisions', '{ decisions(filter: { tenantId: "globex" }) { edges { cursor } } }'],
  ['metrics', `{ metrics(${WINDOW}, tenantId: "globex") { costByTenant { key } } }`],
  ['tenants', '{ tenants { id } }'],
  ['auditLog', '{ auditLog { id } }'],
];

// Every admin mutation, with valid arguments: only the role stops them.
const MUTATIONS: [string, string][] = [
  ['createTenant', 'mutation { createTenant(input: { id: "newco", name: "New" }) { id } }'],
  ['updateTenant', 'mutation { updateTenant(id: "acme", input: { contentLogging: true }) { id } }'],
  ['createApiKey', 'mutation { createApiKey(role: admin, name: "x") { key } }'],
  ['revokeApiKey', 'mutation { revokeApiKey(id: "$ADMIN_KEY_ID") { id } }'],
  ['setBudget', 'mutation { setBudget(tenantId: "acme", input: { monthlyLimitUsd: 1 }) { spentUsd } }'],
  ['topUpBudget', 'mutation { topUpBudget(tenantId: "acme", amountUsd: 1) { spentUsd } }'],
  ['publishPolicy', 'mutation { publishPolicy(scope: "acme", document: {}) { version } }'],
  ['rollbackPolicy', 'mutation { rollbackPolicy(scope: "global", version: 1) { version } }'],
  ['startDrill', 'mutation { startDrill(input: { routeId: "gpt-4o", profile: {}, durationSeconds: 60 }) { routeId } }'],
  ['stopDrill', 'mutation { stopDrill(routeId: "gpt-4o") }'],
];

let tb: TestBackstop;
let acmeKey: string;
let viewer: string;
let adminKeyId: string;
beforeAll(async () => {
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  viewer = await tb.key('viewer');
  await tb.key('tenant', 'globex');
  const settings = { monthlyLimitUsd: 10, prepaidBalanceUsd: 10, dailyLimitUsd: null, retryBudgetPerDay: null };
  await tb.services.budgets.setBudget('acme', settings);
  await tb.services.budgets.setBudget('globex', settings);
  tb.services.decisions.record(fallbackDecision('acme-1', 'acme', Date.UTC(2026, 0, 10)));
  tb.services.decisions.record(fallbackDecision('globex-1', 'globex', Date.UTC(2026, 0, 11)));
  await tb.services.decisions.flush();
  adminKeyId = expectData(await tb.gql('{ me { keyId } }')).me.keyId;
});
afterAll(() => tb.close());

describe('a tenant key', () => {
  it.each(FORBIDDEN_FOR_OTHER_TENANT)('cannot read another tenant through %s', async (_field, query) => {
    expectError(await tb.gql(query, {}, acmeKey), 'FORBIDDEN');
  });

  it('sees only its own rows where it names no tenant', async () => {
    const data = expectData(
      await tb.gql(
        `{
          budget { tenantId }
          decisions { edges { node { id tenant { id } } } }
          decision(id: "globex-1") { id }
          metrics(${WINDOW}) { costByTenant { key } fallbackActivationRate { requests } }
          policy(scope: "acme") { scope }
        }`,
        {},
        acmeKey,
      ),
    );
    expect(data).toEqual({
      budget: { tenantId: 'acme' },
      decisions: { edges: [{ node: { id: 'acme-1', tenant: { id: 'acme' } } }] },
      decision: null,
      metrics: { costByTenant: [{ key: 'acme' }], fallbackActivationRate: { requests: 1 } },
      policy: { scope: 'global' },
    });
  });

  it('may read the route catalogue and its breakers: they hold no tenant data', async () => {
    const { routes } = expectData(await tb.gql('{ routes { id breaker { state } } }', {}, acmeKey));
    expect(routes.length).toBeGreaterThan(0);
  });
});

describe('roles on writes', () => {
  it.each(MUTATIONS)('%s is refused to viewers and tenants, writing nothing', async (_name, mutation) => {
    const query = mutation.replace('$ADMIN_KEY_ID', adminKeyId);
    for (const key of [viewer, acmeKey]) await expectRejected(tb, 'FORBIDDEN', () => tb.gql(query, {}, key));
  });

  it('lets a viewer read every tenant’s data', async () => {
    const data = expectData(
      await tb.gql(
        `{
          tenants { id budget { spentUsd } }
          decisions { edges { node { id } } }
          metrics(${WINDOW}) { costByTenant { key } }
          policyVersions(scope: "global") { version }
        }`,
        {},
        viewer,
      ),
    );
    expect(data.decisions.edges).toHaveLength(2);
    expect(data.metrics.costByTenant.map((c: { key: string }) => c.key).sort()).toEqual(['acme', 'globex']);
  });

  it('refuses everything without a key', async () => {
    for (const [, query] of [...FORBIDDEN_FOR_OTHER_TENANT, ['routes', '{ routes { id } }'] as const])
      expectError(await tb.gql(query, {}, null), 'UNAUTHENTICATED');
  });
});
