import { PolicySchema, type Policy } from '../../shared/contracts/policy.js';

/** Test data for the policy editor: a small published document, its catalogue and history. */
export const CANNED_POLICY: Policy = PolicySchema.parse({
  version: 3,
  classes: {
    critical: {
      tiers: [
        { kind: 'routes', name: 'primary', routes: ['gpt-4o'], timeoutMs: 20_000 },
        { kind: 'routes', name: 'first fallback', routes: ['claude-sonnet-4'] },
        { kind: 'routes', name: 'second fallback', routes: ['gpt-4o-mini'], flagUncertain: true },
        { kind: 'degrade', name: 'hard stop', modes: ['fail_fast'] },
      ],
      hardStop: { maxProviderFailures: 2 },
    },
    non_critical: {
      tiers: [
        { kind: 'routes', routes: ['gpt-4o-mini'] },
        { kind: 'degrade', modes: ['cache', 'default_response'], defaultResponse: 'Try again later.' },
      ],
      hardStop: { budget: 'monthly' },
    },
    internal: { tiers: [{ kind: 'routes', routes: ['gpt-4o-mini'] }], hardStop: { budget: 'daily' } },
    batch: {
      tiers: [{ kind: 'routes', routes: ['gpt-4o-mini', 'claude-sonnet-4'], strategy: 'lowest_cost' }],
      hardStop: { budget: 'retry' },
    },
    experiment: {
      tiers: [
        { kind: 'routes', routes: ['gpt-4o'] },
        { kind: 'degrade', modes: ['fail_fast'] },
      ],
      hardStop: { immediate: true },
    },
  },
});

const route = (
  id: string,
  provider: string,
  qualityClass: string,
  input: number,
  output: number,
  state = 'closed',
) => ({
  id,
  model: id,
  provider,
  qualityClass,
  price: { inputPerMTok: input, outputPerMTok: output },
  breaker: { state },
});

export const CANNED_ROUTES = [
  route('gpt-4o', 'openai', 'premium', 2.5, 10),
  route('claude-sonnet-4', 'anthropic', 'premium', 3, 15, 'open'),
  route('gpt-4o-mini', 'openai', 'budget', 0.15, 0.6),
];

export const CANNED_VERSIONS = [
  {
    id: 'v3',
    version: 3,
    status: 'published',
    publishedAt: '2025-05-03T10:00:00Z',
    publishedBy: 'key-1',
    note: 'tighter',
  },
  { id: 'v2', version: 2, status: 'published', publishedAt: '2025-05-02T10:00:00Z', publishedBy: 'key-1', note: null },
  { id: 'v1', version: 1, status: 'published', publishedAt: '2025-05-01T10:00:00Z', publishedBy: 'system', note: null },
];

/** The `PoliciesQuery` answer for a scope: global version 3. */
export function policiesAnswer(scope = 'global') {
  return {
    tenants: [{ id: 'acme', name: 'Acme' }],
    policy: { id: 'v3', scope: 'global', version: 3, document: CANNED_POLICY },
    policyVersions: scope === 'global' ? CANNED_VERSIONS : [],
    routes: CANNED_ROUTES,
  };
}
