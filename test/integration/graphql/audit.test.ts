import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError } from './support.js';

const AUDIT = /* GraphQL */ `
  query ($first: Int) {
    auditLog(first: $first) {
      actorKeyId
      actorRole
      tenantId
      action
      target
      details
      createdAt
    }
  }
`;

let tb: TestBackstop;
let adminKeyId: string;
beforeAll(async () => {
  tb = await startTestBackstop();
  await tb.services.tenants.ensureTenant('acme');
  adminKeyId = expectData(await tb.gql('{ me { keyId } }')).me.keyId;
});
afterAll(() => tb.close());

describe('the audit log', () => {
  it('records key, budget and policy changes with who made them and when', async () => {
    const started = Date.now();
    const created = expectData(
      await tb.gql('mutation { createApiKey(role: tenant, tenantId: "acme", name: "ci") { apiKey { id } } }'),
    ).createApiKey.apiKey.id;
    expectData(await tb.gql(`mutation { revokeApiKey(id: "${created}") { id } }`));
    expectData(
      await tb.gql(
        'mutation { setBudget(tenantId: "acme", input: { monthlyLimitUsd: 50, prepaidBalanceUsd: 5 }) { spentUsd } }',
      ),
    );
    expectData(await tb.gql('mutation { topUpBudget(tenantId: "acme", amountUsd: 2.5) { spentUsd } }'));
    const live = expectData(await tb.gql('{ policy(scope: "global") { document } }')).policy.document;
    expectData(
      await tb.gql('mutation ($d: JSON!) { publishPolicy(scope: "global", document: $d) { version } }', { d: live }),
    );
    expectData(await tb.gql('mutation { rollbackPolicy(scope: "global", version: 1) { version } }'));

    const { auditLog } = expectData(await tb.gql(AUDIT, { first: 6 }));
    // Newest first; the six actions above are the six newest entries.
    const entries = [...auditLog].reverse();
    expect(entries.map((e: { action: string; target: string }) => [e.action, e.target])).toEqual([
      ['key.created', created],
      ['key.revoked', created],
      ['budget.set', 'acme'],
      ['budget.topped_up', 'acme'],
      ['policy.published', 'global@2'],
      ['policy.rolled_back', 'global@1'],
    ]);
    for (const e of entries) {
      expect(e).toMatchObject({ actorKeyId: adminKeyId, actorRole: 'admin' });
      expect(Date.parse(e.createdAt)).toBeGreaterThanOrEqual(started - 1_000);
      expect(Date.parse(e.createdAt)).toBeLessThanOrEqual(Date.now() + 1_000);
    }
    expect(entries[2].details).toEqual({
      monthlyLimitUsd: 50,
      prepaidBalanceUsd: 5,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    expect(entries[3].details).toEqual({ amountUsd: 2.5, balanceUsd: 7.5 });
    // The audit trail must never hold a usable key.
    expect(JSON.stringify(auditLog)).not.toMatch(/bk_tenant_/);
  });

  it('is for admins only, and bounds its page size', async () => {
    expectError(await tb.gql(AUDIT, {}, await tb.key('viewer')), 'FORBIDDEN');
    expectError(await tb.gql(AUDIT, { first: 0 }), 'BAD_USER_INPUT');
    expectError(await tb.gql(AUDIT, { first: 501 }), 'BAD_USER_INPUT');
  });
});
