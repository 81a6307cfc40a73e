import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { ask, COMPLETE, expectData, expectError, expectRejected } from './support.js';

const POLICY = /* GraphQL */ `
  query ($scope: String!) {
    policy(scope: $scope) {
      scope
      version
      status
      document
    }
  }
`;
const PUBLISH = /* GraphQL */ `
  mutation ($scope: String!, $document: JSON!, $note: String) {
    publishPolicy(scope: $scope, document: $document, note: $note) {
      scope
      version
      status
      note
      publishedBy
    }
  }
`;
const ROLLBACK = /* GraphQL */ `
  mutation ($scope: String!, $version: Int!) {
    rollbackPolicy(scope: $scope, version: $version) {
      version
      status
    }
  }
`;
const VALIDATE = /* GraphQL */ `
  query ($document: JSON!) {
    validatePolicy(document: $document) {
      ok
      issues {
        path
        message
      }
    }
  }
`;
const DIFF = /* GraphQL */ `
  query ($scope: String!, $document: JSON!) {
    diffPolicy(scope: $scope, document: $document) {
      baseVersion
      valid
      changes {
        path
        kind
        before
        after
      }
    }
  }
`;

type Doc = { version: number; classes: Record<string, { deadlineMs: number; tiers: { routes?: string[] }[] }> };

let tb: TestBackstop;
let viewer: string;
let acmeKey: string;
let live: Doc;
beforeAll(async () => {
  tb = await startTestBackstop();
  viewer = await tb.key('viewer');
  acmeKey = await tb.key('tenant', 'acme');
  await tb.services.tenants.ensureTenant('globex');
  live = expectData<{ policy: { document: Doc } }>(await tb.gql(POLICY, { scope: 'global' })).policy.document;
});
afterAll(() => tb.close());

const withDeadline = (ms: number): Doc => {
  const doc = structuredClone(live);
  doc.classes.critical!.deadlineMs = ms;
  return doc;
};
const withUnknownRoute = (): Doc => {
  const doc = structuredClone(live);
  doc.classes.critical!.tiers[0]!.routes = ['no-such-route'];
  return doc;
};

describe('policies', () => {
  it('reads the live global policy, and a tenant without its own inherits it', async () => {
    const global = expectData<{ policy: Record<string, unknown> }>(await tb.gql(POLICY, { scope: 'global' }));
    expect(global.policy).toMatchObject({ scope: 'global', version: 1, status: 'published' });
    const acme = expectData<{ policy: Record<string, unknown> }>(await tb.gql(POLICY, { scope: 'acme' }, acmeKey));
    expect(acme.policy).toMatchObject({ scope: 'global', version: 1 });
  });

  it('validates a draft, naming the field at fault', async () => {
    expect(expectData(await tb.gql(VALIDATE, { document: withDeadline(5000) }))).toEqual({
      validatePolicy: { ok: true, issues: [] },
    });
    const { validatePolicy } = expectData<{ validatePolicy: { ok: boolean } }>(
      await tb.gql(VALIDATE, { document: withUnknownRoute() }),
    );
    expect(validatePolicy).toEqual({
      ok: false,
      issues: [{ path: 'classes.critical.tiers.0.routes.0', message: 'unknown route "no-such-route"' }],
    });
    const notObject = expectData<{ validatePolicy: unknown }>(await tb.gql(VALIDATE, { document: 'nope' }));
    expect(notObject.validatePolicy).toMatchObject({ ok: false, issues: [{ path: '(root)' }] });
  });

  it('diffs a draft against the live version, leaf by leaf', async () => {
    const { diffPolicy } = expectData<{ diffPolicy: unknown }>(
      await tb.gql(DIFF, { scope: 'global', document: withDeadline(5000) }),
    );
    expect(diffPolicy).toEqual({
      baseVersion: 1,
      valid: true,
      changes: [{ path: 'classes.critical.deadlineMs', kind: 'changed', before: 60000, after: 5000 }],
    });
  });

  it('publishes a version that the next completion runs on, then rolls back to the previous one', async () => {
    const before = expectData<{ complete: { policyVersion: number } }>(await tb.gql(COMPLETE, ask()));
    expect(before.complete.policyVersion).toBe(1);

    const { publishPolicy } = expectData(
      await tb.gql(PUBLISH, { scope: 'global', document: withDeadline(45_000), note: 'tighter deadline' }),
    );
    const adminId = expectData<{ me: { keyId: string } }>(await tb.gql('{ me { keyId } }')).me.keyId;
    expect(publishPolicy).toEqual({
      scope: 'global',
      version: 2,
      status: 'published',
      note: 'tighter deadline',
      publishedBy: adminId,
    });
    const after = expectData<{ complete: { policyVersion: number; decisionId: string } }>(
      await tb.gql(COMPLETE, ask('again')),
    );
    expect(after.complete.policyVersion).toBe(2);
    await tb.services.decisions.flush();
    const logged = expectData(
      await tb.gql('query ($id: ID!) { decision(id: $id) { policyVersion } }', {
        id: after.complete.decisionId,
      }),
    );
    expect(logged.decision).toEqual({ policyVersion: 2 });

    expect(expectData(await tb.gql(ROLLBACK, { scope: 'global', version: 1 }))).toEqual({
      rollbackPolicy: { version: 1, status: 'published' },
    });
    const rolledBack = expectData<{ complete: { policyVersion: number } }>(await tb.gql(COMPLETE, ask('once more')));
    expect(rolledBack.complete.policyVersion).toBe(1);

    const { policyVersions } = expectData<{ policyVersions: { version: number; status: string }[] }>(
      await tb.gql('{ policyVersions(scope: "global") { version status } }'),
    );
    expect(policyVersions).toEqual([
      { version: 2, status: 'rolled_back' },
      { version: 1, status: 'published' },
    ]);
  });

  it('publishes a tenant’s own policy, which only that tenant runs on', async () => {
    const { publishPolicy } = expectData<{ publishPolicy: { scope: string; version: number } }>(
      await tb.gql(PUBLISH, { scope: 'acme', document: withDeadline(30_000) }),
    );
    expect(publishPolicy).toMatchObject({ scope: 'acme', version: 1 });
    const acme = expectData<{ policy: { scope: string; document: Doc } }>(
      await tb.gql(POLICY, { scope: 'acme' }, acmeKey),
    );
    expect(acme.policy.scope).toBe('acme');
    expect(acme.policy.document.classes.critical!.deadlineMs).toBe(30_000);
    const globex = expectData<{ policy: { scope: string } }>(await tb.gql(POLICY, { scope: 'globex' }));
    expect(globex.policy.scope).toBe('global');
  });

  it('rejects an invalid draft with its issues, writing nothing', async () => {
    const error = await expectRejected(tb, 'BAD_USER_INPUT', () =>
      tb.gql(PUBLISH, { scope: 'global', document: withUnknownRoute() }),
    );
    expect(error.extensions!.issues).toEqual([
      { path: 'classes.critical.tiers.0.routes.0', message: 'unknown route "no-such-route"' },
    ]);
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(PUBLISH, { scope: 'global', document: [1, 2] }));
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(PUBLISH, { scope: 'global', document: withDeadline(-1) }));
    await expectRejected(tb, 'BAD_USER_INPUT', () =>
      tb.gql(PUBLISH, { scope: 'global', document: live, note: 'x'.repeat(501) }),
    );
    await expectRejected(tb, 'NOT_FOUND', () => tb.gql(PUBLISH, { scope: 'nope', document: live }));
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(ROLLBACK, { scope: 'global', version: 99 }));
    await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(ROLLBACK, { scope: 'global', version: 0 }));
    await expectRejected(tb, 'NOT_FOUND', () => tb.gql(ROLLBACK, { scope: 'nope', version: 1 }));
  });

  it('lets a tenant read its own scope and the global one, and only admins write', async () => {
    expectData(await tb.gql(POLICY, { scope: 'global' }, acmeKey));
    expectData(await tb.gql('{ policyVersions(scope: "global") { version } }', {}, acmeKey));
    expectError(await tb.gql(POLICY, { scope: 'globex' }, acmeKey), 'FORBIDDEN');
    expectError(await tb.gql('{ policyVersions(scope: "globex") { version } }', {}, acmeKey), 'FORBIDDEN');
    expectError(await tb.gql(DIFF, { scope: 'globex', document: live }, acmeKey), 'FORBIDDEN');
    for (const key of [viewer, acmeKey]) {
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(PUBLISH, { scope: 'acme', document: live }, key));
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(ROLLBACK, { scope: 'global', version: 1 }, key));
    }
  });
});
