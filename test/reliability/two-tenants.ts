// A Backstop for the security suite: two tenants with data of every kind (decisions with content, budget, policy,
// alert rules and events, rate limit, keys, a retry job, a review item), providers that hold API keys, and every log
// line captured at trace level. Providers: the simulator behind real OpenAI and Anthropic adapters, and an upstream
// that quotes the key it was sent in its errors, the worst case for redaction.
import { randomBytes, randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { expect } from 'vitest';
import type { BackstopConfig } from '../../server/config.js';
import { mountOpenAICompatible } from '../../server/http/openai-compatible.js';
import { startSimulator, type Simulator } from '../../server/providers/simulator/server.js';
import { DEFAULT_POLICY } from '../../shared/engine/policy-matrix.js';
import { expectData } from '../integration/graphql/support.js';
import { startReceiver } from '../integration/monitoring/support.js';
import { startTestBackstop, type TestBackstop } from '../support/backstop.js';

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** The providers' API keys, in the config as resolved `${ENV}` secrets: openai, anthropic, then google (the leaky one). */
export const PROVIDER_SECRETS = [`sk-proj-OPENAI${hex(16)}`, `sk-ant-api03-${hex(16)}`, `AIzaGOOGLE${hex(14)}`];
/** What redaction.ts promises to remove from stored prompts and answers: API keys, AWS keys, GitHub tokens, JWTs. */
export const PROMPT_SECRETS = [
  `sk-live-${hex(12)}`,
  `AKIA${hex(8).toUpperCase()}`,
  `ghp_${hex(18)}`,
  `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi${hex(6)}.${hex(12)}`,
];
/** In a prompt, makes the leaky upstream reject the request (400) instead of failing over (401). */
export const REJECT_ME = 'please reject me';
/** A unique prompt of a tenant, with every secret of PROMPT_SECRETS in it. */
export const prompt = (marker: string) =>
  `${marker} asks (${randomUUID()}): may I share ${PROMPT_SECRETS.join(' and ')}?`;

export interface TenantSeed {
  id: string;
  marker: string;
  key: string;
  revokedKey: string;
  ids: Record<
    'keys' | 'decisions' | 'jobs' | 'reviews' | 'rules' | 'events' | 'policies' | 'shadows' | 'canaries',
    string[]
  >;
}

/** Everything that identifies a tenant's data: its id, the text in its prompts and names, and its record ids. */
export const markersOf = (t: TenantSeed) => [t.id, t.marker, ...Object.values(t.ids).flat()];

/** The other tenant's markers found in `text`, other than those the caller itself sent in `request`. */
export const leaks = (text: string, other: TenantSeed, request = '') =>
  markersOf(other).filter((m) => text.includes(m) && !request.includes(m));

export interface TwoTenants {
  tb: TestBackstop;
  /** The simulator behind the openai and anthropic providers, for fault profiles. */
  sim: Simulator;
  a: TenantSeed;
  b: TenantSeed;
  viewer: string;
  /** Every API key made so far, in full; add the ones a test makes. */
  issuedKeys: string[];
  logger: Logger;
  logLines: string[];
  /** The Authorization headers the leaky upstream received. */
  leakyAuth: string[];
  complete(key: string, trafficClass: string, content: string): Promise<{ decisionId: string; jobId: string | null }>;
  close(): Promise<void>;
}

const COMPLETE = `mutation ($input: CompleteInput!) { complete(input: $input) { decisionId jobId status } }`;
const CREATE_KEY = /* GraphQL */ `
  mutation ($id: ID!, $name: String!) {
    createApiKey(role: tenant, tenantId: $id, name: $name) {
      key
      apiKey {
        id
      }
    }
  }
`;
const START_SHADOW = `mutation ($input: StartShadowRouteInput!) { startShadowRoute(input: $input) { id } }`;
const START_CANARY = `mutation ($input: StartCanaryInput!) { startCanary(input: $input) { id } }`;
const CREATE_RULE = `mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }`;
const PUBLISH = /* GraphQL */ `
  mutation ($id: String!, $doc: JSON!, $note: String) {
    publishPolicy(scope: $id, document: $doc, note: $note) {
      id
    }
  }
`;

/** The tenants' policy: non_critical goes from its primary straight to human review; no retries, to stay fast. */
function seedPolicy() {
  const doc = structuredClone(DEFAULT_POLICY);
  const noRetry = { maxRetriesPerRoute: 0 };
  doc.classes.non_critical = {
    tiers: [
      { kind: 'routes', routes: ['claude-3-5-haiku'] },
      { kind: 'degrade', modes: ['human_review'] },
    ],
    retry: noRetry,
  };
  doc.classes.internal = { ...doc.classes.internal!, retry: noRetry };
  return doc;
}

/** Starts the Backstop and seeds tenants `alpha-co` (a) and `bravo-co` (b) the same way, through the admin API. */
export async function startTwoTenants(): Promise<TwoTenants> {
  const logLines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  const leakyAuth: string[] = [];
  const sim = await startSimulator({ zeroDelay: true });
  const leaky = await startReceiver((n, req, res) => {
    leakyAuth.push(req.headers.authorization ?? '');
    const reject = JSON.stringify(leaky.bodies[n - 1]).includes(REJECT_ME);
    const message = `Incorrect API key provided: ${req.headers.authorization}`;
    res.writeHead(reject ? 400 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { message, type: 'invalid_request_error', code: reject ? null : 'invalid_api_key' } }),
    );
  });
  const [openai, anthropic, google] = PROVIDER_SECRETS as [string, string, string];
  const config = (c: BackstopConfig): BackstopConfig => ({
    ...c,
    providers: {
      openai: { kind: 'openai', baseUrl: `${sim.url}/v1`, apiKey: openai },
      anthropic: { kind: 'anthropic', baseUrl: sim.url, apiKey: anthropic },
      google: { kind: 'openai', baseUrl: leaky.url.replace(/\/hook$/, '/v1'), apiKey: google },
    },
    secrets: PROVIDER_SECRETS,
  });
  const tb = await startTestBackstop({ config, logger, app: { mount: mountOpenAICompatible } });
  const viewer = await tb.key('viewer');
  const issuedKeys = [tb.adminKey, viewer];
  const admin = async (query: string, variables: Record<string, unknown> = {}) =>
    expectData(await tb.gql(query, variables));
  const complete = async (key: string, trafficClass: string, content: string) =>
    expectData(await tb.gql(COMPLETE, { input: { trafficClass, messages: [{ role: 'user', content }] } }, key))
      .complete;

  const seedTenant = async (id: string, marker: string): Promise<TenantSeed> => {
    const key = await tb.key('tenant', id);
    const me = expectData(await tb.gql('{ me { keyId } }', {}, key)).me;
    await admin(`mutation ($id: ID!) { updateTenant(id: $id, input: { contentLogging: true }) { id } }`, { id });
    await admin(`mutation ($id: ID!) { setBudget(tenantId: $id, input: { monthlyLimitUsd: 100 }) { tenantId } }`, {
      id,
    });
    await admin(`mutation ($id: ID!) { setRateLimit(scope: tenant, id: $id, requestsPerMinute: 10000) { id } }`, {
      id,
    });
    const policy = await admin(PUBLISH, { id, doc: seedPolicy(), note: `${marker} policy` });
    const budgetRule = { metric: 'budget_used_fraction', comparator: 'gt', threshold: 0, minSample: 0 };
    const rules = [
      await admin(CREATE_RULE, { input: { tenantId: id, name: `${marker} budget`, ...budgetRule } }),
      // A global rule (no tenantId) that watches this tenant's traffic only.
      await admin(CREATE_RULE, {
        input: {
          name: `${marker} errors`,
          metric: 'error_rate',
          comparator: 'gt',
          threshold: 0.9,
          scope: { tenantId: id },
        },
      }),
    ];
    const made = (await admin(CREATE_KEY, { id, name: `${marker} key` })).createApiKey;
    const revoked = (await admin(CREATE_KEY, { id, name: `${marker} old key` })).createApiKey;
    await admin(`mutation ($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: revoked.apiKey.id });
    issuedKeys.push(key, made.key, revoked.key);
    const decisions = [];
    for (const cls of ['critical', 'non_critical'])
      decisions.push((await complete(key, cls, prompt(marker))).decisionId);
    const ids = { keys: [me.keyId, made.apiKey.id, revoked.apiKey.id], decisions, jobs: [], reviews: [], events: [] };
    // Stopped at once: listed (with its comparison) but mirroring nothing while the suite compares rows.
    const shadow = await admin(START_SHADOW, {
      input: { tenantId: id, routeId: 'gpt-4o-mini', sampleRate: 1, budgetUsd: 1 },
    });
    await admin(`mutation ($id: ID!) { stopShadowRoute(id: $id) { id } }`, { id: shadow.startShadowRoute.id });
    // Left running: requests without a user id stay on its baseline, so the suite's traffic is unchanged.
    const canary = await admin(START_CANARY, {
      input: { scope: id, percent: 10, document: seedPolicy(), note: `${marker} canary` },
    });
    const seeded = {
      rules: rules.map((r) => r.createAlertRule.id),
      policies: [policy.publishPolicy.id],
      shadows: [shadow.startShadowRoute.id],
      canaries: [canary.startCanary.id],
    };
    return { id, marker, key, revokedKey: revoked.key, ids: { ...ids, ...seeded } };
  };

  const close = async () => {
    await tb.close();
    await sim.close();
    await leaky.close();
  };
  try {
    const a = await seedTenant('alpha-co', 'Alpha-Marmot-1187');
    const b = await seedTenant('bravo-co', 'Bravo-Quokka-5521');
    // Failing primaries: non_critical goes to human review, internal (after the leaky fallback) to the retry queue.
    sim.setProfile('claude-3-5-haiku-20241022', { errorRates: { '500': 1 } });
    sim.setProfile('gpt-4.1-nano', { errorRates: { '500': 1 } });
    for (const t of [a, b]) {
      for (const cls of ['non_critical', 'internal']) {
        const { decisionId, jobId } = await complete(t.key, cls, prompt(t.marker));
        t.ids.decisions.push(decisionId);
        t.ids.jobs.push(jobId);
      }
      const items = await admin(`query ($id: ID) { reviewItems(tenantId: $id) { id } }`, { id: t.id });
      t.ids.reviews = items.reviewItems.map((r: { id: string }) => r.id);
    }
    sim.clearProfile('claude-3-5-haiku-20241022');
    sim.clearProfile('gpt-4.1-nano');
    await tb.services.monitoring.alerts.evaluate();
    for (const t of [a, b]) {
      const { alertEvents } = await admin(`query ($id: ID) { alertEvents(tenantId: $id) { id } }`, { id: t.id });
      t.ids.events = alertEvents.map((e: { id: string }) => e.id);
    }
    await tb.services.decisions.flush();
    for (const t of [a, b]) {
      expect(t.ids.reviews, 'a review item').toHaveLength(1);
      expect(t.ids.events.length, 'an alert event').toBeGreaterThan(0);
      expect(t.ids.jobs.every(Boolean), 'a job per deferred request').toBe(true);
    }
    return { tb, sim, a, b, viewer, issuedKeys, logger, logLines, leakyAuth, complete, close };
  } catch (e) {
    await close();
    throw e;
  }
}
