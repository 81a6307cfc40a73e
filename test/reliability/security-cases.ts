import type { TenantSeed } from './two-tenants.js';

// How the security suite calls each GraphQL Query and Mutation field as one tenant against the other; the suite
// fails when the schema has a field without a case here.

export const WINDOW = () =>
  `from: "${new Date(Date.now() - 86_400_000).toISOString()}", to: "${new Date(Date.now() + 3_600_000).toISOString()}"`;

export interface QueryCase {
  /** Arguments asking for the caller's own data; absent for staff-only fields, which tenant keys may not read. */
  own?: (t: TenantSeed) => string;
  /** Arguments naming the other tenant, or one of its records. */
  cross?: (t: TenantSeed) => string;
  /** A lookup by id answers null, not FORBIDDEN, so that it does not tell the id exists. */
  crossIsNull?: true;
  /** The field holds no tenant data, so its answer need not name the caller's tenant. */
  shared?: true;
}
export const ownTenant = (t: TenantSeed) => `(tenantId: "${t.id}")`;
const scope = (t: TenantSeed) => `(scope: "${t.id}")`;
export const QUERIES: Record<string, QueryCase> = {
  alertEvents: { own: () => '', cross: ownTenant },
  alertRules: { own: () => '', cross: ownTenant },
  auditLog: {},
  budget: { own: () => '', cross: ownTenant },
  decision: {
    own: (t) => `(id: "${t.ids.decisions[0]}")`,
    cross: (t) => `(id: "${t.ids.decisions[0]}")`,
    crossIsNull: true,
  },
  decisions: { own: () => '(first: 200)', cross: (t) => `(filter: { tenantId: "${t.id}" })` },
  diffPolicy: { own: (t) => `(scope: "${t.id}", document: {})`, cross: (t) => `(scope: "${t.id}", document: {})` },
  drills: {},
  job: { own: (t) => `(id: "${t.ids.jobs[0]}")`, cross: (t) => `(id: "${t.ids.jobs[0]}")`, crossIsNull: true },
  jobs: { own: () => '', cross: ownTenant },
  liveMetrics: {},
  me: { own: () => '' },
  metrics: { own: () => `(${WINDOW()})`, cross: (t) => `(${WINDOW()}, tenantId: "${t.id}")` },
  policy: { own: scope, cross: scope },
  policyVersions: { own: scope, cross: scope },
  rateLimits: {},
  featureFlags: {},
  canaries: { own: scope, cross: scope },
  shadowRoutes: { own: () => '', cross: ownTenant },
  whatIfReplay: {
    own: () => `(input: { ${WINDOW()} })`,
    cross: (t) => `(input: { ${WINDOW()}, tenantId: "${t.id}" })`,
  },
  reviewItem: {
    own: (t) => `(id: "${t.ids.reviews[0]}")`,
    cross: (t) => `(id: "${t.ids.reviews[0]}")`,
    crossIsNull: true,
  },
  reviewItems: { own: () => '', cross: ownTenant },
  route: { own: () => '(id: "gemini-2.0-flash")', shared: true },
  routes: { own: () => '', shared: true },
  tenant: { own: (t) => `(id: "${t.id}")`, cross: (t) => `(id: "${t.id}")` },
  tenants: {},
  validatePolicy: { own: () => '(document: {})', shared: true },
};

export const MUTATIONS: Record<string, (t: TenantSeed) => string> = {
  acknowledgeAlert: (t) => `(id: "${t.ids.events[0]}")`,
  answerReview: (t) => `(id: "${t.ids.reviews[0]}", answer: "approved")`,
  approveReview: (t) => `(id: "${t.ids.reviews[0]}", candidateIndex: 0)`,
  clearRateLimit: (t) => `(scope: tenant, id: "${t.id}")`,
  complete: (t) => `(input: { tenantId: "${t.id}", messages: [{ role: user, content: "hello" }] })`,
  createAlertRule: (t) =>
    `(input: { tenantId: "${t.id}", name: "x", metric: error_rate, comparator: gt, threshold: 1 })`,
  createApiKey: (t) => `(role: tenant, tenantId: "${t.id}", name: "mine now")`,
  createTenant: (t) => `(input: { id: "${t.id}-2", name: "x" })`,
  deleteAlertRule: (t) => `(id: "${t.ids.rules[0]}")`,
  pauseBatch: ownTenant,
  publishPolicy: (t) => `(scope: "${t.id}", document: {})`,
  resumeBatch: ownTenant,
  revokeApiKey: (t) => `(id: "${t.ids.keys[0]}")`,
  rollbackPolicy: (t) => `(scope: "${t.id}", version: 1)`,
  setBudget: (t) => `(tenantId: "${t.id}", input: { monthlyLimitUsd: 1 })`,
  setRateLimit: (t) => `(scope: tenant, id: "${t.id}", requestsPerMinute: 1)`,
  setRouteEnabled: () => `(routeId: "gpt-4o", enabled: false, reason: "x")`,
  setTierEnabled: () => `(tier: 0, enabled: false, reason: "x")`,
  startShadowRoute: (t) => `(input: { tenantId: "${t.id}", routeId: "gpt-4o", sampleRate: 0.5, budgetUsd: 1 })`,
  stopShadowRoute: (t) => `(id: "${t.ids.shadows[0]}")`,
  startDrill: () => `(input: { routeId: "gpt-4o", profile: {}, durationSeconds: 60 })`,
  stopDrill: () => `(routeId: "gpt-4o")`,
  startCanary: (t) => `(input: { scope: "${t.id}", percent: 10, document: {} })`,
  promoteCanary: (t) => `(id: "${t.ids.canaries[0]}")`,
  rollbackCanary: (t) => `(id: "${t.ids.canaries[0]}")`,
  topUpBudget: (t) => `(tenantId: "${t.id}", amountUsd: 1)`,
  updateAlertRule: (t) => `(id: "${t.ids.rules[0]}", input: { threshold: 0.5 })`,
  updateTenant: (t) => `(id: "${t.id}", input: { name: "taken over" })`,
};
