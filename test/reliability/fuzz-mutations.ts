// GraphQL mutations with invalid inputs, and operations sent with keys that may not run them, for
// fuzz-endpoints.test.ts: each must be refused (BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED, FORBIDDEN) before it writes.
import fc from 'fast-check';
import { DEFAULT_POLICY } from '../../shared/engine/policy-matrix.js';
import { JSON_TYPE, op } from './fuzz-graphql.js';
import {
  headerValue,
  hostileString,
  jsonValue,
  poisonedPolicy,
  unknownTenant,
  type Known,
  type Probe,
} from './fuzz-values.js';

const INPUT = ['BAD_USER_INPUT', 'NOT_FOUND'];

const M = {
  complete: 'mutation($input: CompleteInput!) { complete(input: $input) { content decisionId } }',
  createTenant: 'mutation($input: CreateTenantInput!) { createTenant(input: $input) { id } }',
  updateTenant: 'mutation($id: ID!, $input: UpdateTenantInput!) { updateTenant(id: $id, input: $input) { id } }',
  createApiKey:
    'mutation($name: String!, $role: Role!, $tenantId: ID) { createApiKey(name: $name, role: $role, tenantId: $tenantId) { key } }',
  revokeApiKey: 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }',
  setBudget: 'mutation($t: ID!, $input: BudgetInput!) { setBudget(tenantId: $t, input: $input) { tenantId } }',
  topUpBudget: 'mutation($t: ID!, $a: Float!) { topUpBudget(tenantId: $t, amountUsd: $a) { tenantId } }',
  publishPolicy:
    'mutation($s: String!, $d: JSON!, $note: String) { publishPolicy(scope: $s, document: $d, note: $note) { version } }',
  rollbackPolicy: 'mutation($s: String!, $v: Int!) { rollbackPolicy(scope: $s, version: $v) { version } }',
  setRateLimit:
    'mutation($scope: RateLimitScope!, $id: ID!, $r: Int) { setRateLimit(scope: $scope, id: $id, requestsPerMinute: $r) { id } }',
  createAlertRule: 'mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }',
  updateAlertRule:
    'mutation($id: ID!, $input: UpdateAlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id } }',
  deleteAlertRule: 'mutation($id: ID!) { deleteAlertRule(id: $id) }',
  acknowledgeAlert: 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }',
  pauseBatch: 'mutation($t: ID!) { pauseBatch(tenantId: $t) { id } }',
  resumeBatch: 'mutation($t: ID!) { resumeBatch(tenantId: $t) { id } }',
  startDrill: 'mutation($input: StartDrillInput!) { startDrill(input: $input) { routeId } }',
  stopDrill: 'mutation($r: ID!) { stopDrill(routeId: $r) }',
  answerReview: 'mutation($id: ID!, $a: String!) { answerReview(id: $id, answer: $a) { id } }',
  approveReview: 'mutation($id: ID!, $i: Int!) { approveReview(id: $id, candidateIndex: $i) { id } }',
} as const;

const HI = [{ role: 'user', content: 'hi' }];
const MAX_USD = 999_999_999;
const outside = (min: number, max: number) =>
  fc.oneof(
    fc.double({ min: -1e300, max: min, maxExcluded: true, noNaN: true }),
    fc.double({ min: max, max: 1e300, minExcluded: true, noNaN: true }),
  );
const badName = fc.oneof(
  fc.constantFrom('', '   ', '\t\n'),
  fc.integer({ min: 201, max: 5_000 }).map((n) => 'n'.repeat(n)),
);
const freshTenant = (known: Known) =>
  fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/).filter((s) => !known.tenants.has(s) && s !== 'global');
const someId = fc.oneof(
  hostileString.filter((s) => s !== ''),
  fc.uuid(),
);

/** Each admin mutation with at least one value it must refuse, and hostile values in the other fields. */
const invalidMutations = (known: Known): fc.Arbitrary<Probe> => {
  const mutation = (key: keyof typeof M, variables: fc.Arbitrary<Record<string, unknown>>) =>
    variables.map((v) => op(`${key} ${JSON.stringify(v)?.slice(0, 160)}`, M[key], v, { codes: INPUT }));
  const existing = fc.constantFrom(...[...known.tenants].filter((t) => t !== 'global'));
  const unknown = unknownTenant(known);
  const route = fc.constantFrom(...known.routes);
  const notRoute = hostileString.filter((r) => !known.routes.includes(r));
  const usdOutside = outside(0, MAX_USD);
  const completeFault = fc.oneof(
    fc.constant({ messages: [] }),
    outside(0, 2).map((temperature) => ({ params: { temperature } })),
    outside(0, 1).map((topP) => ({ params: { topP } })),
    fc
      .oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 1_000_001, max: 2 ** 31 - 1 }))
      .map((maxTokens) => ({ params: { maxTokens } })),
    fc.array(fc.string(), { minLength: 5, maxLength: 8 }).map((stop) => ({ params: { stop } })),
    fc.constantFrom<unknown>('x', [{ name: '' }], [5], {}).map((tools) => ({ params: { tools } })),
    fc.constantFrom<unknown>('sometimes', 5, {}, []).map((toolChoice) => ({ params: { toolChoice } })),
    fc.constantFrom<unknown>('x', 5, [], true).map((responseSchema) => ({ responseSchema })),
    fc.constantFrom<unknown>({ k: 5 }, 'x', [], { k: { n: 'x' } }).map((metadata) => ({ metadata })),
    fc.integer({ min: 201, max: 5_000 }).map((n) => ({ idempotencyKey: 'i'.repeat(n) })),
    unknown.filter((t) => t !== '').map((tenantId) => ({ tenantId })),
    fc.constant({ messages: [{ role: 'tool', content: 'x' }] }),
    fc.constant({ messages: [{ role: 'user', content: null }] }),
    fc.constant({ messages: [{ role: 'assistant', toolCalls: [{ id: '', name: 'f', arguments: '{}' }] }] }),
  );
  const hostileExtras = fc.record(
    {
      userId: hostileString,
      featureId: hostileString,
      appId: hostileString,
      tags: fc.array(hostileString, { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    mutation(
      'complete',
      fc
        .tuple(hostileExtras, completeFault)
        .map(([extras, fault]) => ({ input: { messages: HI, ...extras, ...fault } })),
    ),
    mutation(
      'createTenant',
      fc.oneof(
        hostileString
          .filter((id) => !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id) || id === 'global' || known.tenants.has(id))
          .map((id) => ({ input: { id, name: 'N' } })),
        fc.tuple(freshTenant(known), badName).map(([id, name]) => ({ input: { id, name } })),
      ),
    ),
    mutation(
      'updateTenant',
      fc.oneof(
        unknown.map((id) => ({ id, input: { name: 'Renamed' } })),
        existing.map((id) => ({ id, input: {} })),
        fc.tuple(existing, badName).map(([id, name]) => ({ id, input: { name } })),
      ),
    ),
    mutation(
      'createApiKey',
      fc.oneof(
        fc.tuple(badName, fc.constantFrom('admin', 'viewer')).map(([name, role]) => ({ name, role })),
        fc.constant({ name: 'k', role: 'tenant' }),
        fc
          .tuple(fc.constantFrom('admin', 'viewer'), existing)
          .map(([role, tenantId]) => ({ name: 'k', role, tenantId })),
        unknown.map((tenantId) => ({ name: 'k', role: 'tenant', tenantId })),
      ),
    ),
    mutation(
      'revokeApiKey',
      someId.map((id) => ({ id })),
    ),
    mutation(
      'setBudget',
      fc.oneof(
        fc
          .tuple(existing, fc.constantFrom('monthlyLimitUsd', 'prepaidBalanceUsd', 'dailyLimitUsd'), usdOutside)
          .map(([t, field, value]) => ({ t, input: { monthlyLimitUsd: 10, [field]: value } })),
        fc
          .tuple(existing, fc.integer({ min: -(2 ** 31), max: -1 }))
          .map(([t, r]) => ({ t, input: { monthlyLimitUsd: 10, retryBudgetPerDay: r } })),
        unknown.map((t) => ({ t, input: { monthlyLimitUsd: 10 } })),
      ),
    ),
    mutation(
      'topUpBudget',
      fc.oneof(
        fc.tuple(existing, fc.double({ min: 0.01, max: MAX_USD, noNaN: true })).map(([t, a]) => ({ t, a })),
        fc
          .tuple(
            existing,
            usdOutside.filter((a) => a <= 0 || a > MAX_USD),
          )
          .map(([t, a]) => ({ t, a })),
        unknown.map((t) => ({ t, a: 5 })),
      ),
    ),
    mutation(
      'publishPolicy',
      fc.oneof(
        fc
          .oneof(
            jsonValue.filter((d) => typeof d !== 'object' || d === null || Array.isArray(d) || !('classes' in d)),
            poisonedPolicy,
          )
          .map((d) => ({ s: 'global', d })),
        unknown.map((s) => ({ s, d: DEFAULT_POLICY })),
        fc.integer({ min: 501, max: 5_000 }).map((n) => ({ s: 'global', d: DEFAULT_POLICY, note: 'n'.repeat(n) })),
      ),
    ),
    mutation(
      'rollbackPolicy',
      fc.oneof(
        fc
          .oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 1_000, max: 2 ** 31 - 1 }))
          .map((v) => ({ s: 'global', v })),
        unknown.map((s) => ({ s, v: 1 })),
      ),
    ),
    mutation(
      'setRateLimit',
      fc.oneof(
        unknown.map((id) => ({ scope: 'tenant', id, r: 10 })),
        someId.map((id) => ({ scope: 'key', id, r: 10 })),
        notRoute.map((id) => ({ scope: 'route', id, r: 10 })),
        fc
          .tuple(
            existing,
            fc.oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 1_000_000_001, max: 2 ** 31 - 1 })),
          )
          .map(([id, r]) => ({ scope: 'tenant', id, r })),
      ),
    ),
    mutation(
      'createAlertRule',
      fc
        .oneof(
          fc
            .integer()
            .filter((w) => ![60_000, 300_000, 3_600_000].includes(w))
            .map((windowMs) => ({ windowMs })),
          unknown.filter((t) => t !== '').map((tenantId) => ({ tenantId })),
          notRoute.filter((r) => r !== '').map((routeId) => ({ scope: { routeId } })),
        )
        .map((fault) => ({
          input: { comparator: 'gt', metric: 'error_rate', name: 'fuzz rule', threshold: 0.5, ...fault },
        })),
    ),
    mutation(
      'updateAlertRule',
      someId.map((id) => ({ id, input: { name: 'x' } })),
    ),
    mutation(
      'deleteAlertRule',
      someId.map((id) => ({ id })),
    ),
    mutation(
      'acknowledgeAlert',
      someId.map((id) => ({ id })),
    ),
    mutation(
      'pauseBatch',
      unknown.map((t) => ({ t })),
    ),
    mutation(
      'resumeBatch',
      unknown.map((t) => ({ t })),
    ),
    mutation(
      'startDrill',
      fc.oneof(
        fc
          .tuple(
            route,
            jsonValue,
            fc.oneof(fc.integer({ min: -(2 ** 31), max: 9 }), fc.integer({ min: 901, max: 2 ** 31 - 1 })),
          )
          .map(([routeId, profile, durationSeconds]) => ({
            input: { routeId, profile: profile ?? {}, durationSeconds },
          })),
        notRoute.map((routeId) => ({ input: { routeId, profile: {}, durationSeconds: 60 } })),
      ),
    ),
    mutation(
      'stopDrill',
      notRoute.map((r) => ({ r })),
    ),
    mutation(
      'answerReview',
      fc.oneof(
        fc.tuple(someId, fc.constantFrom('', '   ', '\n')).map(([id, a]) => ({ id, a })),
        someId.map((id) => ({ id, a: 'an answer' })),
      ),
    ),
    mutation(
      'approveReview',
      fc.oneof(
        fc.tuple(someId, fc.integer({ min: -(2 ** 31), max: -1 })).map(([id, i]) => ({ id, i })),
        someId.map((id) => ({ id, i: 0 })),
      ),
    ),
  );
};

/** Valid admin mutations (they would write), sent by keys that may not run them. */
const adminOnly = (known: Known, spareKeyId: string): Probe[] => [
  op('createTenant', M.createTenant, { input: { id: 'fuzz-new', name: 'New' } }),
  op('updateTenant', M.updateTenant, { id: 'acme', input: { name: 'Renamed' } }),
  op('createApiKey', M.createApiKey, { name: 'k', role: 'admin' }),
  op('revokeApiKey', M.revokeApiKey, { id: spareKeyId }),
  op('setBudget', M.setBudget, { t: 'acme', input: { monthlyLimitUsd: 10 } }),
  op('publishPolicy', M.publishPolicy, { s: 'acme', d: DEFAULT_POLICY }),
  op('rollbackPolicy', M.rollbackPolicy, { s: 'global', v: 1 }),
  op('setRateLimit', M.setRateLimit, { scope: 'tenant', id: 'acme', r: 5 }),
  op('createAlertRule', M.createAlertRule, {
    input: { comparator: 'gt', metric: 'error_rate', name: 'r', threshold: 0.5 },
  }),
  op('pauseBatch', M.pauseBatch, { t: 'acme' }),
  op('startDrill', M.startDrill, { input: { routeId: known.routes[0], profile: {}, durationSeconds: 60 } }),
];

/** Keys that are missing, garbage, revoked, read-only, or another tenant's. */
const unauthorisedOperations = (known: Known, spareKeyId: string): fc.Arbitrary<Probe> => {
  const other = fc.constantFrom(...[...known.tenants].filter((t) => t !== 'acme' && t !== 'global'));
  const crossTenant = (t: string) => [
    op(`complete for ${t}`, M.complete, { input: { messages: HI, tenantId: t } }),
    op(`budget of ${t}`, 'query($t: ID) { budget(tenantId: $t) { tenantId } }', { t }),
    op(`tenant ${t}`, 'query($t: ID!) { tenant(id: $t) { id } }', { t }),
    op(`policy of ${t}`, 'query($t: String!) { policy(scope: $t) { version } }', { t }),
    op(`decisions of ${t}`, 'query($t: ID) { decisions(filter: { tenantId: $t }) { edges { cursor } } }', { t }),
    op(`jobs of ${t}`, 'query($t: ID) { jobs(tenantId: $t) { id } }', { t }),
  ];
  const anyOperation = fc.constantFrom(
    ...adminOnly(known, spareKeyId),
    op('me', '{ me { role } }'),
    op('complete', M.complete, { input: { messages: HI } }),
  );
  return fc.oneof(
    fc.tuple(anyOperation, fc.constantFrom('none', 'revoked')).map(([p, as]): Probe => ({
      ...p,
      label: `${as} key: ${p.label}`,
      as: as as Probe['as'],
      status: [401],
      codes: ['UNAUTHENTICATED'],
    })),
    fc
      .tuple(anyOperation, fc.constantFrom('Bearer ', 'Basic ', 'Bearer bk_admin_', ''), headerValue)
      .map(([p, scheme, token]): Probe => ({
        ...p,
        label: `authorization "${(scheme + token).slice(0, 60)}": ${p.label}`,
        headers: { ...JSON_TYPE, authorization: scheme + token },
        as: 'none',
        status: [401],
        codes: ['UNAUTHENTICATED'],
      })),
    fc
      .tuple(fc.constantFrom(...adminOnly(known, spareKeyId)), fc.constantFrom('viewer', 'tenant'))
      .map(([p, as]): Probe => ({
        ...p,
        label: `${as} key: ${p.label}`,
        as: as as Probe['as'],
        status: [403],
        codes: ['FORBIDDEN'],
      })),
    other
      .chain((t) => fc.constantFrom(...crossTenant(t)))
      .map((p): Probe => ({ ...p, label: `acme key: ${p.label}`, as: 'tenant', status: [403], codes: ['FORBIDDEN'] })),
  );
};

/** Every kind of refused mutation and unauthorised operation. */
export const graphQLMutationProbes = (known: Known, spareKeyId: string) => ({
  mutations: invalidMutations(known),
  unauthorised: unauthorisedOperations(known, spareKeyId),
});
