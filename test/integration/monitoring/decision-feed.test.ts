import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachGraphQLWebSocket } from '../../../server/graphql/websocket.js';
import type { DecisionEvent } from '../../../server/monitoring/decision-feed.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { ask, COMPLETE, expectData } from '../graphql/support.js';
import { subscribeOverSse, waitFor } from './support.js';

const FEED = /* GraphQL */ `
  subscription Feed($tenantId: ID) {
    decisionRecorded(tenantId: $tenantId) {
      id
      tenantId
      trafficClass
      outcome
      finalRouteId
      finalTier
      totalCostUsd
      totalLatencyMs
      startedAt
      degraded
      fallback
    }
  }
`;

type Received = { decisionRecorded: Omit<DecisionEvent, 'startedAtMs'> & { startedAt: string } };

let tb: TestBackstop;
let acmeKey: string;
let globexKey: string;
let viewerKey: string;

beforeAll(async () => {
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  globexKey = await tb.key('tenant', 'globex');
  viewerKey = await tb.key('viewer');
});
afterAll(() => tb.close());

/** A published event that stands for no real decision, to learn when a subscriber is live. */
function marker(tenantId: string): DecisionEvent {
  return {
    id: `marker-${randomUUID()}`,
    tenantId,
    trafficClass: 'critical',
    outcome: 'success',
    finalRouteId: 'gpt-4o',
    finalTier: 0,
    totalCostUsd: 0,
    totalLatencyMs: 0,
    startedAtMs: Date.now(),
    degraded: false,
    fallback: false,
  };
}

/** Publishes `tenantId` markers until every `seen` list holds one: from then on all those subscribers are live. */
async function untilLive(tenantId: string, ...seen: (() => string[])[]) {
  const sent = new Set<string>();
  await waitFor('the subscriptions to be live', () => {
    const m = marker(tenantId);
    sent.add(m.id);
    tb.services.monitoring.pubsub.publish('decision:recorded', m);
    return seen.every((ids) => ids().some((id) => sent.has(id)));
  });
}

const isMarker = (id: string) => id.startsWith('marker-');

async function completeAs(key: string, content: string): Promise<string> {
  return expectData(await tb.gql(COMPLETE, ask(content), key)).complete.decisionId;
}

describe('the decisionRecorded subscription over SSE', () => {
  it('delivers each decision after a complete mutation: tenant keys their own, staff every tenant’s', async () => {
    const acme = subscribeOverSse<Received>(tb, FEED, {}, acmeKey);
    const staff = subscribeOverSse<Received>(tb, FEED, {}, viewerKey);
    const globexOnly = subscribeOverSse<Received>(tb, FEED, { tenantId: 'globex' }, tb.adminKey);
    const ids = (s: typeof acme) => () => s.messages.map((m) => m.data!.decisionRecorded.id).filter((id) => id);
    try {
      await untilLive('acme', ids(acme), ids(staff));
      await untilLive('globex', ids(globexOnly));
      const fromAcme = await completeAs(acmeKey, 'feed: acme');
      const fromGlobex = await completeAs(globexKey, 'feed: globex');
      const fromDefault = await completeAs(tb.adminKey, 'feed: default');
      await waitFor(
        'every decision',
        () => ids(staff)().includes(fromDefault) && ids(globexOnly)().includes(fromGlobex),
      );
      await waitFor('acme’s decision', () => ids(acme)().includes(fromAcme));

      const real = (s: typeof acme) => ids(s)().filter((id) => !isMarker(id));
      expect(real(acme)).toEqual([fromAcme]);
      expect(real(globexOnly)).toEqual([fromGlobex]);
      expect(real(staff)).toEqual([fromAcme, fromGlobex, fromDefault]);

      const event = acme.messages.find((m) => m.data!.decisionRecorded.id === fromAcme)!.data!.decisionRecorded;
      expect(event).toEqual({
        id: fromAcme,
        tenantId: 'acme',
        trafficClass: 'critical',
        outcome: 'success',
        finalRouteId: 'gpt-4o',
        finalTier: 0,
        totalCostUsd: expect.any(Number),
        totalLatencyMs: expect.any(Number),
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        degraded: false,
        fallback: false,
      });
      expect(event.totalCostUsd).toBeGreaterThan(0);
    } finally {
      await Promise.all([acme.close(), staff.close(), globexOnly.close()]);
    }
  });

  it('marks a decision answered by the fallback', async () => {
    const staff = subscribeOverSse<Received>(tb, FEED, {}, viewerKey);
    const ids = () => staff.messages.map((m) => m.data!.decisionRecorded.id);
    tb.sim.setProfile('gpt-4o', { errorRates: { '503': 1 } });
    try {
      await untilLive('default', ids);
      const id = await completeAs(tb.adminKey, 'feed: fallback');
      await waitFor('the decision', () => ids().includes(id));
      expect(staff.messages.find((m) => m.data!.decisionRecorded.id === id)!.data!.decisionRecorded).toMatchObject({
        finalRouteId: 'claude-sonnet-4',
        finalTier: 1,
        degraded: true,
        fallback: true,
      });
    } finally {
      tb.sim.clearProfile('gpt-4o');
      await staff.close();
    }
  });

  it('refuses a tenant key asking for another tenant’s feed, and callers without a key', async () => {
    const other = subscribeOverSse<Received>(tb, FEED, { tenantId: 'globex' }, acmeKey);
    const anonymous = subscribeOverSse<Received>(tb, FEED, {}, null);
    try {
      await waitFor('both refusals', () => other.messages.length > 0 && anonymous.messages.length > 0);
      expect(other.messages[0]!.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      expect(anonymous.messages[0]!.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    } finally {
      await Promise.all([other.close(), anonymous.close()]);
    }
  });
});

describe('the decisionRecorded subscription over WebSocket (graphql-ws)', () => {
  it('delivers the tenant’s own decisions with the key in the connection params', async () => {
    const server = serve({ fetch: tb.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const ws = attachGraphQLWebSocket(server, tb.app, tb.services);
    const client = createClient({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${acmeKey}` },
      retryAttempts: 0,
    });
    const received: string[] = [];
    const errors: unknown[] = [];
    const unsubscribe = client.subscribe<Received>(
      { query: FEED },
      {
        next: (msg) => void received.push(msg.data!.decisionRecorded.id),
        error: (e) => void errors.push(e),
        complete: () => undefined,
      },
    );
    try {
      await untilLive('acme', () => received);
      const fromGlobex = await completeAs(globexKey, 'ws: globex');
      const fromAcme = await completeAs(acmeKey, 'ws: acme');
      await waitFor('acme’s decision', () => received.includes(fromAcme));
      expect(received.filter((id) => !isMarker(id))).toEqual([fromAcme]);
      expect(received).not.toContain(fromGlobex);
      expect(errors).toEqual([]);
    } finally {
      unsubscribe();
      await client.dispose();
      await ws.close();
      await new Promise((r) => server.close(r));
    }
  });
});
