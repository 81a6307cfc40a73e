import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, expectError, expectRejected } from './support.js';

const CREATE_TENANT = /* GraphQL */ `
  mutation ($input: CreateTenantInput!) {
    createTenant(input: $input) {
      id
      name
      contentLogging
      createdAt
    }
  }
`;
const UPDATE_TENANT = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateTenantInput!) {
    updateTenant(id: $id, input: $input) {
      id
      name
      contentLogging
    }
  }
`;
const CREATE_KEY = /* GraphQL */ `
  mutation ($role: Role!, $tenantId: ID, $name: String!) {
    createApiKey(role: $role, tenantId: $tenantId, name: $name) {
      key
      apiKey {
        id
        role
        tenantId
        name
        prefix
        revokedAt
      }
    }
  }
`;
const REVOKE_KEY = /* GraphQL */ `
  mutation ($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`;
const ME = /* GraphQL */ `
  {
    me {
      keyId
      role
      tenantId
    }
  }
`;

let tb: TestBackstop;
let viewer: string;
let acmeKey: string;
beforeAll(async () => {
  tb = await startTestBackstop();
  viewer = await tb.key('viewer');
  acmeKey = await tb.key('tenant', 'acme');
  await tb.services.tenants.ensureTenant('globex');
});
afterAll(() => tb.close());

describe('tenants', () => {
  it('creates a tenant with content logging off unless opted in, then opts it in', async () => {
    const created = expectData(await tb.gql(CREATE_TENANT, { input: { id: 'initech', name: 'Initech' } }));
    expect(created.createTenant).toMatchObject({ id: 'initech', name: 'Initech', contentLogging: false });

    const updated = expectData(await tb.gql(UPDATE_TENANT, { id: 'initech', input: { contentLogging: true } }));
    expect(updated.updateTenant).toEqual({ id: 'initech', name: 'Initech', contentLogging: true });
    // The privacy sink reads the opt-in from memory: the update must reach it without a restart.
    expect(tb.services.tenants.contentLoggingOf('initech')).toBe(true);
  });

  it('lists every tenant to staff, and a tenant key only its own tenant', async () => {
    for (const key of [tb.adminKey, viewer]) {
      const { tenants } = expectData<{ tenants: { id: string }[] }>(await tb.gql('{ tenants { id } }', {}, key));
      expect(tenants.map((t) => t.id)).toEqual(expect.arrayContaining(['acme', 'default', 'globex']));
    }
    expectError(await tb.gql('{ tenants { id } }', {}, acmeKey), 'FORBIDDEN');
    expect(expectData(await tb.gql('{ tenant(id: "acme") { id } }', {}, acmeKey))).toEqual({ tenant: { id: 'acme' } });
    expectError(await tb.gql('{ tenant(id: "globex") { id } }', {}, acmeKey), 'FORBIDDEN');
  });

  it('returns null for an unknown tenant', async () => {
    expect(expectData(await tb.gql('{ tenant(id: "nope") { id } }'))).toEqual({ tenant: null });
  });

  it('tells the caller who it is', async () => {
    const { me } = expectData<{ me: Record<string, unknown> }>(await tb.gql(ME, {}, acmeKey));
    expect(me).toMatchObject({ role: 'tenant', tenantId: 'acme' });
    expectError(await tb.gql(ME, {}, null), 'UNAUTHENTICATED');
  });

  it('rejects bad tenant input with BAD_USER_INPUT naming the field, writing nothing', async () => {
    for (const input of [
      { id: 'Bad Id!', name: 'x' },
      { id: 'global', name: 'x' },
      { id: 'ok-id', name: '  ' },
      { id: 'acme', name: 'duplicate' },
    ]) {
      const error = await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(CREATE_TENANT, { input }));
      expect(error.message).toMatch(/input\.(id|name)/);
    }
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(UPDATE_TENANT, { id: 'acme', input: {} }));
    await expectRejected(tb, 'NOT_FOUND', () => tb.gql(UPDATE_TENANT, { id: 'nope', input: { name: 'x' } }));
  });

  it('lets viewers and tenants change nothing', async () => {
    for (const key of [viewer, acmeKey]) {
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(CREATE_TENANT, { input: { id: 'v1', name: 'x' } }, key));
      await expectRejected(tb, 'FORBIDDEN', () =>
        tb.gql(UPDATE_TENANT, { id: 'acme', input: { contentLogging: true } }, key),
      );
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(CREATE_KEY, { role: 'admin', name: 'x' }, key));
    }
  });
});

describe('API keys', () => {
  it('shows a new key once, lists only its prefix, and stops accepting it once revoked', async () => {
    const { createApiKey } = expectData<{
      createApiKey: { key: string; apiKey: Record<string, unknown> & { id: string } };
    }>(
      await tb.gql(CREATE_KEY, {
        role: 'tenant',
        tenantId: 'globex',
        name: 'globex ci',
      }),
    );
    expect(createApiKey.key).toMatch(/^bk_tenant_/);
    expect(createApiKey.apiKey).toMatchObject({
      role: 'tenant',
      tenantId: 'globex',
      name: 'globex ci',
      revokedAt: null,
    });
    expect(createApiKey.key.startsWith(String(createApiKey.apiKey.prefix).replace('…', ''))).toBe(true);

    const { me } = expectData<{ me: { tenantId: string } }>(await tb.gql(ME, {}, createApiKey.key));
    expect(me.tenantId).toBe('globex');

    const listed = expectData(await tb.gql('{ tenant(id: "globex") { apiKeys { id prefix name } } }'));
    expect(JSON.stringify(listed)).not.toContain(createApiKey.key);
    expect(listed).toEqual({
      tenant: { apiKeys: [{ id: createApiKey.apiKey.id, prefix: createApiKey.apiKey.prefix, name: 'globex ci' }] },
    });

    const revoked = expectData<{ revokeApiKey: { revokedAt: string } }>(
      await tb.gql(REVOKE_KEY, { id: createApiKey.apiKey.id }),
    );
    expect(revoked.revokeApiKey.revokedAt).toEqual(expect.any(String));
    expectError(await tb.gql(ME, {}, createApiKey.key), 'UNAUTHENTICATED');
  });

  it('hides key lists from viewers and tenants', async () => {
    for (const key of [viewer, acmeKey]) {
      const res = await tb.gql('{ tenant(id: "acme") { id apiKeys { id } } }', {}, key);
      expectError(res, 'FORBIDDEN');
      expect(res.data).toEqual({ tenant: { id: 'acme', apiKeys: null } });
    }
  });

  it('rejects bad key input, writing nothing', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['BAD_USER_INPUT', { role: 'tenant', name: 'no tenant' }, /tenantId/],
      ['BAD_USER_INPUT', { role: 'viewer', tenantId: 'acme', name: 'viewer with tenant' }, /tenantId/],
      ['BAD_USER_INPUT', { role: 'tenant', tenantId: 'nope', name: 'unknown tenant' }, /tenantId/],
      ['BAD_USER_INPUT', { role: 'admin', name: '' }, /name/],
    ];
    for (const [code, vars, field] of cases) {
      const error = await expectRejected(tb, code, () => tb.gql(CREATE_KEY, vars));
      expect(error.message).toMatch(field);
    }
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(REVOKE_KEY, { id: 'not-a-uuid' }));
    await expectRejected(tb, 'NOT_FOUND', () => tb.gql(REVOKE_KEY, { id: '00000000-0000-4000-8000-000000000000' }));
    const viewerRow = (await tb.services.tenants.listApiKeys()).find((k) => k.role === 'viewer')!;
    await expectRejected(tb, 'FORBIDDEN', () => tb.gql(REVOKE_KEY, { id: viewerRow.id }, viewer));
  });
});
