import { z } from 'zod';
import { InvalidPolicyError } from '../../../shared/engine/errors.js';
import { diffJson, type JsonChange } from '../../../shared/engine/policy-diff.js';
import type { PolicyIssue } from '../../../shared/engine/policy-matrix.js';
import { GLOBAL_SCOPE, type PolicyVersionRow } from '../../services/policy-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, tenantScope, type GraphQLContext } from '../context.js';
import { clientError, toGraphQLError } from '../errors.js';
import { parseInput } from '../validation.js';

const PolicyStatusEnum = builder.enumType('PolicyStatus', {
  description: '`canary`: a candidate served only to the share of traffic its canary assigns it (see `canaries`).',
  values: ['published', 'rolled_back', 'canary'] as const,
});
const ChangeKindEnum = builder.enumType('PolicyChangeKind', { values: ['added', 'removed', 'changed'] as const });

/** One published version of a scope's policy. */
export const PolicyVersion = builder.objectRef<PolicyVersionRow>('PolicyVersion').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    scope: t.exposeString('scope', { description: '`global` or a tenant id.' }),
    version: t.exposeInt('version'),
    status: t.field({ type: PolicyStatusEnum, resolve: (p) => p.status }),
    note: t.exposeString('note', { nullable: true }),
    publishedBy: t.exposeString('publishedBy', { description: 'The API key id that published it, or `system`.' }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
    document: t.field({ type: 'JSON', resolve: (p) => p.document }),
  }),
});

const PolicyIssueRef = builder.objectRef<PolicyIssue>('PolicyIssue').implement({
  fields: (t) => ({ path: t.exposeString('path'), message: t.exposeString('message') }),
});

const PolicyValidation = builder.objectRef<{ ok: boolean; issues: PolicyIssue[] }>('PolicyValidation').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    issues: t.field({ type: [PolicyIssueRef], resolve: (v) => v.issues }),
  }),
});

const PolicyChange = builder.objectRef<JsonChange>('PolicyChange').implement({
  description: 'One leaf that differs; `before` is null when added, `after` when removed.',
  fields: (t) => ({
    path: t.exposeString('path'),
    kind: t.field({ type: ChangeKindEnum, resolve: (c) => c.kind }),
    before: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.before ?? null }),
    after: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.after ?? null }),
  }),
});

interface PolicyDiffShape {
  scope: string;
  baseVersion: number | null;
  valid: boolean;
  changes: JsonChange[];
}
const PolicyDiff = builder.objectRef<PolicyDiffShape>('PolicyDiff').implement({
  fields: (t) => ({
    scope: t.exposeString('scope'),
    baseVersion: t.exposeInt('baseVersion', {
      nullable: true,
      description: 'The live version compared against (maybe inherited from global); null when there is none.',
    }),
    valid: t.exposeBoolean('valid', { description: 'Whether the draft would publish; see `validatePolicy`.' }),
    changes: t.field({ type: [PolicyChange], resolve: (d) => d.changes }),
  }),
});

/** Who may read a scope: everyone the global one, tenant keys only their own tenant's. */
function readableScope(ctx: GraphQLContext, scope: string): string {
  assertAuthenticated(ctx);
  return scope === GLOBAL_SCOPE ? scope : tenantScope(ctx, scope)!;
}

async function assertWritableScope(ctx: GraphQLContext, scope: string): Promise<void> {
  if (scope !== GLOBAL_SCOPE && !(await ctx.services.tenants.getTenant(scope)))
    throw clientError('NOT_FOUND', `no policy scope "${scope}": use "${GLOBAL_SCOPE}" or a tenant id`);
}

/** The version a scope runs on: its own latest published one, else (for a tenant) the global one. */
async function liveVersion(ctx: GraphQLContext, scope: string): Promise<PolicyVersionRow | undefined> {
  const own = await ctx.services.policies.latest(scope);
  return own ?? (scope === GLOBAL_SCOPE ? undefined : ctx.services.policies.latest(GLOBAL_SCOPE));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a draft as `publishPolicy` would: publishing assigns the version, so a draft may leave it out.
 * Anything but an object is one issue at the root.
 */
export function validateDraft(ctx: GraphQLContext, document: unknown, version = 1) {
  if (!isObject(document))
    return { ok: false as const, issues: [{ path: '(root)', message: 'a policy is a JSON object' }] };
  return ctx.services.policies.validate({ ...document, version });
}

builder.queryFields((t) => ({
  policy: t.field({
    type: PolicyVersion,
    nullable: true,
    description: 'The live policy of a scope (`global` or a tenant id); a tenant without its own gets the global one.',
    args: { scope: t.arg.string({ required: true }) },
    resolve: async (_r, { scope }, ctx) => (await liveVersion(ctx, readableScope(ctx, scope))) ?? null,
  }),
  policyVersions: t.field({
    type: [PolicyVersion],
    description: 'A scope’s versions, newest first (up to 50), rolled-back ones included.',
    args: { scope: t.arg.string({ required: true }) },
    resolve: (_r, { scope }, ctx) => ctx.services.policies.history(readableScope(ctx, scope)),
  }),
  validatePolicy: t.field({
    type: PolicyValidation,
    description: 'Checks a draft against the schema and the route catalogue; issues name the field.',
    args: { document: t.arg({ type: 'JSON', required: true }) },
    resolve: (_r, { document }, ctx) => {
      assertAuthenticated(ctx);
      const result = validateDraft(ctx, document);
      return { ok: result.ok, issues: result.ok ? [] : result.issues };
    },
  }),
  diffPolicy: t.field({
    type: PolicyDiff,
    description: 'What publishing a draft to a scope would change, leaf by leaf, defaults filled in.',
    args: { scope: t.arg.string({ required: true }), document: t.arg({ type: 'JSON', required: true }) },
    resolve: async (_r, { scope, document }, ctx) => {
      const base = await liveVersion(ctx, readableScope(ctx, scope));
      const version = base?.version ?? 1;
      // Compare what would be stored: defaults filled in, and the version publishing would replace left out.
      const checked = validateDraft(ctx, document, version);
      const after = checked.ok ? checked.policy : isObject(document) ? { ...document, version } : document;
      return {
        scope,
        baseVersion: base?.version ?? null,
        valid: checked.ok,
        changes: diffJson(base?.document ?? {}, after).filter((c) => c.path !== 'version'),
      };
    },
  }),
}));

const NoteSchema = z.string().max(500, 'at most 500 characters').nullish();

builder.mutationFields((t) => ({
  publishPolicy: t.field({
    type: PolicyVersion,
    description:
      'Publishes a draft as the scope’s next version; it applies to the next request. ' +
      'An invalid draft is BAD_USER_INPUT with `extensions.issues`, and nothing is written. Audited.',
    args: {
      scope: t.arg.string({ required: true }),
      document: t.arg({ type: 'JSON', required: true }),
      note: t.arg.string(),
    },
    resolve: async (_r, { scope, document, note }, ctx) => {
      const actor = assertAdmin(ctx);
      const validNote = parseInput(NoteSchema, note, 'note');
      await assertWritableScope(ctx, scope);
      const checked = validateDraft(ctx, document);
      if (!checked.ok) throw toGraphQLError(new InvalidPolicyError(checked.issues));
      try {
        return await ctx.services.policies.publish(actor, scope, document, validNote ?? undefined);
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  }),
  rollbackPolicy: t.field({
    type: PolicyVersion,
    description: 'Makes an earlier version live again; later versions are marked rolled back. Audited.',
    args: { scope: t.arg.string({ required: true }), version: t.arg.int({ required: true }) },
    resolve: async (_r, { scope, version }, ctx) => {
      const actor = assertAdmin(ctx);
      parseInput(z.number().int().positive(), version, 'version');
      await assertWritableScope(ctx, scope);
      try {
        return await ctx.services.policies.rollback(actor, scope, version);
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  }),
}));
