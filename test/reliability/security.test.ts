import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdminKey } from '../../server/bootstrap.js';
import { schema } from '../../server/graphql/schema.js';
import type { DecisionEvent } from '../../server/monitoring/decision-feed.js';
import type { Simulator } from '../../server/providers/simulator/server.js';
import { toJobView } from '../../server/services/job-store.js';
import { subscribeOverSse, waitFor } from '../integration/monitoring/support.js';
import type { TestBackstop } from '../support/backstop.js';
import { columnTexts, dumpDatabase, findIn, selectAll } from '../support/leak-scan.js';
import {
  hex,
  leaks,
  prompt,
  PROMPT_SECRETS,
  PROVIDER_SECRETS,
  REJECT_ME,
  startTwoTenants,
  type TenantSeed,
  type TwoTenants,
} from './two-tenants.js';
import { MUTATIONS, ownTenant, QUERIES } from './security-cases.js';

// Tenant keys must never see, nor change, the other tenant's data, through any query, subscription, mutation or the
// OpenAI endpoint; API keys are stored hashed; no secret reaches a log, a row, /metrics or an API answer.

// Kept as sent on purpose, so that a retry can run the request again and an idempotent replay return the same answer.
const REPLAY_COLUMNS = ['public.jobs.request', 'public.jobs.result', 'public.idempotency_keys.result'];
const SKIP = new Set(['Tenant.apiKeys']); // admins only, asserted on its own

let env: TwoTenants;
let tb: TestBackstop;
let sim: Simulator;
let a: TenantSeed;
let b: TenantSeed;
let viewer: string;
beforeAll(async () => {
  env = await startTwoTenants();
  ({ tb, sim, a, b, viewer } = env);
});
afterAll(() => env?.close());

const fieldsOf = (type: { getFields(): Record<string, GraphQLField<unknown, unknown>> } | null | undefined) =>
  type!.getFields();
const selection = (field: GraphQLField<unknown, unknown>) => selectAll(field.type, 5, SKIP);

describe('tenant isolation in GraphQL queries', () => {
  it('has a case for every Query field of the schema', () => {
    expect(Object.keys(QUERIES).sort()).toEqual(Object.keys(fieldsOf(schema.getQueryType())).sort());
  });

  it.each(Object.keys(QUERIES))('%s shows a tenant key nothing of another tenant, even when asked', async (name) => {
    const c = QUERIES[name]!;
    const sel = selection(fieldsOf(schema.getQueryType())[name]!);
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      if (!c.own) {
        const res = await tb.gql(`{ ${name} ${sel} }`, {}, self.key);
        expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(leaks(JSON.stringify(res), other)).toEqual([]);
        continue;
      }
      const mine = await tb.gql(`{ ${name}${c.own(self)} ${sel} }`, {}, self.key);
      expect(mine.errors).toBeUndefined();
      expect(leaks(JSON.stringify(mine), other)).toEqual([]);
      if (!c.shared) expect(JSON.stringify(mine)).toContain(self.id);
      if (!c.cross) continue;
      const query = `{ ${name}${c.cross(other)} ${sel} }`;
      const theirs = await tb.gql(query, {}, self.key);
      if (c.crossIsNull) expect(theirs).toEqual({ data: { [name]: null } });
      else expect(theirs.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(leaks(JSON.stringify(theirs), other, query)).toEqual([]);
    }
  });

  it('shows API keys (even their prefixes) to admins only', async () => {
    const query = `query ($id: ID!) { tenant(id: $id) { apiKeys { id prefix } } }`;
    for (const key of [a.key, viewer]) {
      expect((await tb.gql(query, { id: a.id }, key)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});

interface SubscriptionCase {
  own: (t: TenantSeed) => string;
  cross: (t: TenantSeed) => string;
  /** Publishes an event of tenant `t` (or, when null, a gateway-wide one) tagged with `tag` on the field's topic. */
  publish?: (t: TenantSeed | null, tag: string) => Promise<void>;
}
const pubsub = () => tb.services.monitoring.pubsub;
const GATEWAY_TAG = `gateway-${randomUUID()}`;
const SUBSCRIPTIONS: Record<string, SubscriptionCase> = {
  alerts: {
    own: () => '',
    cross: ownTenant,
    publish: async (t, tag) =>
      pubsub().publish('alert:fired', {
        id: randomUUID(),
        ruleId: randomUUID(),
        ruleName: tag,
        tenantId: t?.id ?? null,
        severity: 'warning',
        state: 'fired',
        metric: 'error_rate',
        subject: t ? `tenant:${t.id}` : 'route:gpt-4o',
        value: 1,
        threshold: 0.5,
        message: `${tag} ${t?.marker ?? ''}`,
        atMs: Date.now(),
      }),
  },
  completeStream: {
    own: (t) => `(input: { trafficClass: critical, messages: [{ role: user, content: "${t.marker} streams" }] })`,
    cross: (t) => `(input: { tenantId: "${t.id}", messages: [{ role: user, content: "hello" }] })`,
  },
  decisionRecorded: {
    own: () => '',
    cross: ownTenant,
    publish: async (t, tag) => {
      if (!t) return;
      const event: DecisionEvent = {
        ...{ id: tag, tenantId: t.id, trafficClass: 'critical', outcome: 'success', finalRouteId: 'gpt-4o' },
        ...{
          finalTier: 0,
          totalCostUsd: 0,
          totalLatencyMs: 1,
          startedAtMs: Date.now(),
          degraded: false,
          fallback: false,
        },
      };
      pubsub().publish('decision:recorded', event);
      // And a real decision of that tenant.
      if (!tag.startsWith('probe-')) await env.complete(t.key, 'critical', prompt(t.marker));
    },
  },
  jobUpdated: {
    own: () => '',
    cross: ownTenant,
    publish: async (t, tag) => {
      if (!t) return;
      const row = await tb.services.jobs.store.get(t.ids.jobs[1]!);
      pubsub().publish('job:updated', { ...toJobView(row!), reason: tag });
    },
  },
};

describe('tenant isolation in GraphQL subscriptions', () => {
  it('has a case for every Subscription field of the schema', () => {
    expect(Object.keys(SUBSCRIPTIONS).sort()).toEqual(Object.keys(fieldsOf(schema.getSubscriptionType())).sort());
  });

  it.each(Object.keys(SUBSCRIPTIONS))(
    '%s refuses another tenant by name and delivers none of its events',
    async (name) => {
      const c = SUBSCRIPTIONS[name]!;
      const sel = selection(fieldsOf(schema.getSubscriptionType())[name]!);
      const refused = subscribeOverSse(tb, `subscription { ${name}${c.cross(b)} ${sel} }`, {}, a.key);
      const mine = subscribeOverSse(tb, `subscription { ${name}${c.own(a)} ${sel} }`, {}, a.key);
      const received = () => JSON.stringify(mine.messages);
      try {
        await waitFor('the refusal', () => refused.messages.length > 0);
        expect(refused.messages[0]!.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        if (c.publish) {
          const probes: string[] = [];
          await waitFor('the subscription to be live', async () => {
            probes.push(`probe-${randomUUID()}`);
            await c.publish!(a, probes.at(-1)!);
            return probes.some((p) => received().includes(p));
          });
          await c.publish(b, `from-${b.id}`);
          await c.publish(null, GATEWAY_TAG);
          const last = `last-${randomUUID()}`;
          await c.publish(a, last); // delivered in order: once it is in, anything of b's would be too
          await waitFor('the last event', () => received().includes(last));
        } else {
          await waitFor('the end of the stream', () => received().includes('"done"'));
          expect(received()).toContain(a.marker);
        }
        expect(mine.messages.every((m) => !m.errors)).toBe(true);
        expect(leaks(received(), b)).toEqual([]);
        expect(received()).not.toContain(GATEWAY_TAG);
      } finally {
        await Promise.all([refused.close(), mine.close()]);
      }
    },
  );
});

// Every mutation, aimed at the other tenant: a tenant key and a viewer key must be refused and change nothing.

const publicRows = async () =>
  JSON.stringify([...(await dumpDatabase(tb.services.database))].filter(([table]) => table.startsWith('public.')));

describe('tenant isolation in GraphQL mutations', () => {
  it('has a case for every Mutation field of the schema', () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual(Object.keys(fieldsOf(schema.getMutationType())).sort());
  });

  it.each(Object.keys(MUTATIONS))('%s cannot touch another tenant with a tenant or viewer key', async (name) => {
    const mutation = `mutation { ${name}${MUTATIONS[name]!(b)} ${selection(fieldsOf(schema.getMutationType())[name]!)} }`;
    for (const key of [a.key, viewer]) {
      const before = await publicRows();
      const res = await tb.gql(mutation, {}, key);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
      expect(leaks(JSON.stringify(res), b, mutation)).toEqual([]);
      expect(await publicRows()).toBe(before);
    }
  });
});

const chat = async (
  key: string | null,
  content: string,
  headers: Record<string, string> = {},
  body: Record<string, unknown> = {},
) => {
  const res = await tb.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content }], ...body }),
    key,
  });
  return { status: res.status, text: await res.text() };
};

describe('tenant isolation in the OpenAI-compatible endpoint', () => {
  it('refuses a tenant key that names another tenant (x-backstop-tenant), recording nothing for it', async () => {
    const decisionsOfB = async () => {
      await tb.services.decisions.flush();
      return JSON.stringify((await dumpDatabase(tb.services.database)).get('public.decisions')).split(b.id).length;
    };
    const before = await decisionsOfB();
    const res = await chat(a.key, 'hello', { 'x-backstop-tenant': b.id });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toMatchObject({ error: { type: 'permission_error', code: 'permission_denied' } });
    expect(await decisionsOfB()).toBe(before);
  });

  it('keeps idempotency keys per tenant: the same key from another tenant gets its own answer', async () => {
    const idem = { 'idempotency-key': `shared-${randomUUID()}` };
    const theirs = await chat(b.key, `${b.marker} idempotent`, idem);
    const mine = await chat(a.key, `${a.marker} idempotent`, idem);
    expect([theirs.status, mine.status]).toEqual([200, 200]);
    expect(theirs.text).toContain(b.marker);
    expect(mine.text).toContain(a.marker);
    expect(leaks(mine.text, b)).toEqual([]);
  });

  it('refuses viewer keys (403), revoked keys and unknown keys (401)', async () => {
    expect((await chat(viewer, 'hello')).status).toBe(403);
    expect((await chat(b.revokedKey, 'hello')).status).toBe(401);
    expect((await chat(`bk_tenant_${hex(32)}`, 'hello')).status).toBe(401);
  });
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The random part of a key past what its prefix shows (`bk_tenant_` + 4 characters). */
const secretPart = (key: string) => key.slice(key.indexOf('_', 3) + 5);

describe('API keys at rest', () => {
  it('stores each key as its SHA-256 only: no row of any table holds a key or its secret part', async () => {
    const envKey = `bk_admin_${randomBytes(32).toString('base64url')}`;
    await bootstrapAdminKey(tb.services, envKey, env.logger);
    env.issuedKeys.push(envKey);
    const keys = env.issuedKeys;
    const dump = await dumpDatabase(tb.services.database);
    const texts = columnTexts(dump);
    expect(findIn(texts, keys)).toEqual([]);
    expect(findIn(texts, keys.map(secretPart))).toEqual([]);

    const rows = dump.get('public.api_keys')!;
    for (const row of rows) {
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(String(row.prefix)).toMatch(/^bk_[a-z]+_.{4}…$/);
    }
    const hashes = new Set(rows.map((r) => r.hash));
    for (const key of keys) expect(hashes.has(sha256(key)), 'the key’s hash is stored').toBe(true);
  });

  it('never shows a stored hash through the API', async () => {
    expect(Object.keys(fieldsOf(schema.getType('ApiKey') as never))).not.toContain('hash');
    const res = await tb.gql(`{ tenants { apiKeys ${selectAll(schema.getType('ApiKey') as never, 0)} } }`);
    const hashes = (await dumpDatabase(tb.services.database)).get('public.api_keys')!.map((r) => String(r.hash));
    expect(findIn({ tenants: JSON.stringify(res) }, hashes)).toEqual([]);
  });
});

describe('secrets in logs and records', () => {
  it('keeps provider secrets, API keys and secrets in prompts out of logs, rows, /metrics and API answers', async () => {
    const bogusKeys = [`bk_tenant_${hex(32)}`, `bk_admin_${hex(32)}`, `sk-${hex(24)}`, `bk_viewer_${hex(32)}`];
    const responses: string[] = [];
    const keep = async (res: Response | Promise<Response>) => responses.push(await (await res).text());
    const [k1, k2, k3, k4] = bogusKeys as [string, string, string, string];
    responses.push(JSON.stringify(await tb.gql('{ me { keyId } }', {}, k1)));
    await keep(tb.fetch('/graphql?query={me{keyId}}', { headers: { 'x-api-key': k2 }, key: null }));
    responses.push((await chat(k3, prompt(a.marker))).text);
    await keep(tb.fetch('/metrics', { key: k4 }));

    const failing = async (
      model: string,
      profile: Parameters<Simulator['setProfile']>[1],
      run: () => Promise<void>,
    ) => {
      sim.setProfile(model, profile);
      try {
        await run();
      } finally {
        sim.clearProfile(model);
      }
    };
    const send = async (...args: Parameters<typeof chat>) => void responses.push((await chat(...args)).text);
    await failing('gpt-4o', { errorRates: { '500': 1 } }, () => send(a.key, prompt(a.marker)));
    await failing('gpt-4o', { streamErrorAfterChunks: 1 }, () => send(a.key, prompt(a.marker), {}, { stream: true }));
    await failing('gpt-4o-mini', { malformedRate: 1 }, () =>
      send(b.key, prompt(b.marker), {}, { model: 'gpt-4o-mini' }),
    );
    await failing('gpt-4.1', { errorRates: { '500': 1 } }, () =>
      send(b.key, prompt(b.marker), {}, { model: 'experiment' }),
    );
    await failing('gpt-4.1-nano', { errorRates: { '500': 1 } }, () =>
      send(b.key, prompt(b.marker), {}, { model: 'internal' }),
    );
    // The upstream that quotes its key: once failing over, once rejecting the request with its message.
    await send(b.key, prompt(b.marker), {}, { model: 'gemini-2.0-flash' });
    await send(b.key, `${prompt(b.marker)} ${REJECT_ME}`, {}, { model: 'gemini-2.0-flash' });
    await tb.services.monitoring.synthetic.runOnce();
    await tb.services.decisions.flush();

    const full = (name: string, args = '') =>
      `${name}${args} ${selectAll(fieldsOf(schema.getQueryType())[name]!.type, 5, SKIP)}`;
    const api = JSON.stringify(
      await tb.gql(`{
        ${full('decisions', '(first: 200)')} ${full('jobs', '(first: 200)')} ${full('reviewItems')}
        ${full('alertEvents', '(first: 500)')} ${full('auditLog', '(first: 500)')} ${full('routes')} ${full('tenants')}
      }`),
    );
    const texts = {
      logs: env.logLines.join(''),
      metrics: await (await tb.fetch('/metrics')).text(),
      api,
      responses: responses.join('\n'),
    };
    const dump = await dumpDatabase(tb.services.database);
    const secrets = [...PROVIDER_SECRETS, ...env.issuedKeys, ...bogusKeys];
    expect(findIn(texts, secrets)).toEqual([]);
    expect(findIn(columnTexts(dump), secrets)).toEqual([]);
    // Answers to the caller echo its own prompt; everything kept or shown to others is redacted.
    const { responses: _own, ...kept } = texts;
    expect(findIn(kept, PROMPT_SECRETS)).toEqual([]);
    expect(findIn(columnTexts(dump, REPLAY_COLUMNS), PROMPT_SECRETS)).toEqual([]);

    // The scans saw something: the secret did go upstream, the failures were logged, content was kept redacted.
    expect(env.leakyAuth).toContain(`Bearer ${PROVIDER_SECRETS[2]}`);
    expect(texts.logs).toContain('synthetic check failed');
    expect(texts.logs).toContain('"level":20');
    expect(api).toContain('[secret]');
    expect(api).toContain('Incorrect API key provided: Bearer [redacted]');
    expect(texts.responses).toContain('Incorrect API key provided: Bearer [redacted]');
  });
});
