import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../shared/contracts/alert.js';
import type { SlackMessage } from '../../../server/monitoring/webhooks.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { complete, startReceiver, subscribeOverSse, waitFor } from './support.js';

const HAIKU = 'claude-3-5-haiku-20241022';
const ALERTS = /* GraphQL */ `
  subscription Alerts($severity: AlertSeverity) {
    alerts(severity: $severity) {
      id
      ruleId
      ruleName
      state
      severity
      subject
      value
      threshold
      message
    }
  }
`;
const CREATE_RULE = /* GraphQL */ `
  mutation Create($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      id
    }
  }
`;

type Received = Pick<AlertEvent, 'id' | 'ruleId' | 'state' | 'severity' | 'subject' | 'value' | 'threshold'>;

let tb: TestBackstop;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let ruleId: string;

beforeAll(async () => {
  receiver = await startReceiver((_n, _req, res) => res.writeHead(200).end('ok'));
  tb = await startTestBackstop({
    monitoring: {
      start: true,
      evaluateEveryMs: 100,
      synthetic: false,
      webhooks: [receiver.url],
      webhookDelivery: { baseDelayMs: 10, timeoutMs: 2_000 },
    },
  });
  // The shipped error-rate rule waits for 20 calls over 5 min; a test rule with a 1 min window and 3 calls reacts at once.
  const res = await tb.gql<{ createAlertRule: { id: string } }>(CREATE_RULE, {
    input: {
      name: 'Haiku failing (test)',
      metric: 'error_rate',
      scope: { routeId: 'claude-3-5-haiku' },
      windowMs: 60_000,
      comparator: 'gt',
      threshold: 0.5,
      minSample: 3,
      cooldownMs: 0,
      severity: 'critical',
    },
  });
  expect(res.errors).toBeUndefined();
  ruleId = res.data!.createAlertRule.id;
});
afterAll(async () => {
  await tb.close();
  await receiver.close();
});

describe('an outage of the non_critical primary, end to end', () => {
  it('fires to subscribers and webhooks within the interval, then resolves when the primary recovers', async () => {
    const sub = subscribeOverSse<{ alerts: Received }>(tb, ALERTS, { severity: 'critical' });
    try {
      // The subscriber is listening once a marker published on the topic comes back through it.
      const marker = { ...markerEvent(), severity: 'critical' as const };
      await waitFor('the subscription to be live', () => {
        tb.services.monitoring.pubsub.publish('alert:fired', marker);
        return sub.messages.some((m) => m.data?.alerts.id === marker.id);
      });
      const ours = (state: AlertEvent['state']) =>
        sub.messages.map((m) => m.data?.alerts).find((a) => a?.ruleId === ruleId && a.state === state);
      const hooked = (state: string) =>
        (receiver.bodies as SlackMessage[]).find((b) => b.text.includes('Haiku failing') && b.text.includes(state));

      tb.sim.setProfile(HAIKU, { errorRates: { 500: 1 } });
      // Two requests: a try and a retry each on the primary (4 failed calls), answered by the fallback tier.
      for (const i of [1, 2])
        expect(await complete(tb, 'non_critical', `outage ${i}`)).toMatchObject({ routeId: 'gpt-4.1-mini', tier: 1 });
      const started = Date.now();
      const fired = await waitFor('the fired alert on the subscription', () => ours('fired'), { timeoutMs: 5_000 });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(fired).toMatchObject({
        severity: 'critical',
        subject: 'route:claude-3-5-haiku',
        value: 1,
        threshold: 0.5,
      });

      const hook = await waitFor('the fired webhook', () => hooked('FIRING'), { timeoutMs: 5_000 });
      expect(hook.text).toContain('route:claude-3-5-haiku');
      expect(hook.attachments![0]!.fields).toEqual(
        expect.arrayContaining([
          { title: 'Severity', value: 'critical', short: true },
          { title: 'Rule', value: `Haiku failing (test) (${ruleId})`, short: false },
          { title: 'Subject', value: 'route:claude-3-5-haiku', short: true },
          { title: 'Value', value: '1', short: true },
          { title: 'Threshold', value: '0.5', short: true },
        ]),
      );
      expect(hook.blocks).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'section' })]));

      // Recovery: healthy answers bring the window to 4 failures in 8 or 9 calls, no longer above 50%.
      tb.sim.clearProfile(HAIKU);
      for (const i of [1, 2, 3, 4, 5])
        expect(await complete(tb, 'non_critical', `healthy ${i}`)).toMatchObject({ routeId: 'claude-3-5-haiku' });
      const resolved = await waitFor('the resolved alert', () => ours('resolved'), { timeoutMs: 5_000 });
      expect(resolved.value).toBeLessThanOrEqual(0.5);
      await waitFor('the resolved webhook', () => hooked('RESOLVED'), { timeoutMs: 5_000 });

      const { data } = await tb.gql<{ alertEvents: { ruleId: string; state: string }[] }>(
        `{ alertEvents(first: 20, severity: critical) { ruleId state } }`,
      );
      expect(data!.alertEvents.filter((e) => e.ruleId === ruleId).map((e) => e.state)).toEqual(['resolved', 'fired']);
    } finally {
      tb.sim.clearProfile(HAIKU);
      await sub.close();
    }
  });
});

function markerEvent(): AlertEvent {
  return {
    id: randomUUID(),
    ruleId: 'marker',
    ruleName: 'marker',
    tenantId: null,
    severity: 'info',
    state: 'fired',
    metric: 'error_rate',
    subject: 'all',
    value: 0,
    threshold: 0,
    message: 'marker',
    atMs: Date.now(),
  };
}
