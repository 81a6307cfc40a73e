import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../shared/contracts/alert.js';
import { createWebhookNotifier, type SlackMessage } from '../../../server/monitoring/webhooks.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { complete, startReceiver, waitFor } from './support.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const event: AlertEvent = {
  id: '7f0f6c1e-0000-4000-8000-000000000001',
  ruleId: 'default:error-rate-route',
  ruleName: 'Error rate above 2% on a route',
  tenantId: null,
  severity: 'warning',
  state: 'fired',
  metric: 'error_rate',
  subject: 'route:gpt-4o',
  value: 0.125,
  threshold: 0.02,
  message: 'error rate 12.5% > 2% on route:gpt-4o (5 min, 40 calls)',
  atMs: Date.UTC(2026, 0, 1),
};

async function receiver(respond: (n: number, res: ServerResponse) => void) {
  const r = await startReceiver((n, _req, res) => respond(n, res));
  cleanups.push(r.close);
  return r;
}

describe('alert webhooks over loopback HTTP', () => {
  it('retries a receiver answering 500, with backoff, until it accepts the Slack-compatible body', async () => {
    const hook = await receiver((n, res) => res.writeHead(n <= 2 ? 500 : 200).end());
    const notifier = createWebhookNotifier({ urls: [hook.url], logger, baseDelayMs: 20, maxDelayMs: 100 });
    cleanups.push(async () => notifier.stop());
    const started = Date.now();
    notifier.notify(event);
    expect(await notifier.idle(5_000)).toBe(true);
    expect(hook.bodies).toHaveLength(3);
    // Two backoffs of at least half of 20 ms and 40 ms (equal jitter).
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    const body = hook.bodies[2] as SlackMessage;
    expect(body.text).toBe(`FIRING [WARNING] ${event.ruleName}: ${event.message}`);
    expect(body.attachments![0]!.fields).toEqual(
      expect.arrayContaining([
        { title: 'Severity', value: 'warning', short: true },
        { title: 'Subject', value: 'route:gpt-4o', short: true },
        { title: 'Value', value: '0.125', short: true },
        { title: 'Threshold', value: '0.02', short: true },
      ]),
    );
  });

  it('gives up after maxAttempts on a receiver that keeps failing', async () => {
    const hook = await receiver((_n, res) => res.writeHead(503).end());
    const notifier = createWebhookNotifier({ urls: [hook.url], logger, baseDelayMs: 5, maxAttempts: 3 });
    cleanups.push(async () => notifier.stop());
    notifier.notify(event);
    expect(await notifier.idle(5_000)).toBe(true);
    expect(hook.bodies).toHaveLength(3);
  });

  it('does not retry a receiver that rejects the request (4xx other than 408 and 429)', async () => {
    const hook = await receiver((_n, res) => res.writeHead(404).end());
    const notifier = createWebhookNotifier({ urls: [hook.url], logger, baseDelayMs: 5 });
    cleanups.push(async () => notifier.stop());
    notifier.notify(event);
    expect(await notifier.idle(5_000)).toBe(true);
    expect(hook.bodies).toHaveLength(1);
  });

  it('aborts each attempt on a receiver that hangs, within the per-attempt timeout', async () => {
    const hook = await receiver(() => undefined);
    const notifier = createWebhookNotifier({
      urls: [hook.url],
      logger,
      baseDelayMs: 5,
      maxAttempts: 2,
      timeoutMs: 100,
    });
    cleanups.push(async () => notifier.stop());
    notifier.notify(event);
    expect(await notifier.idle(5_000)).toBe(true);
    expect(hook.bodies).toHaveLength(2);
  });
});

describe('alert delivery and completions', () => {
  let tb: TestBackstop;

  it('never makes a completion wait for a webhook receiver that hangs', async () => {
    const hook = await receiver(() => undefined);
    tb = await startTestBackstop({
      monitoring: {
        start: true,
        evaluateEveryMs: 50,
        synthetic: false,
        webhooks: [hook.url],
        webhookDelivery: { timeoutMs: 20_000, maxAttempts: 1 },
      },
    });
    cleanups.push(() => tb.close());
    // Fires on the first answered critical request: a success rate below 200% always holds.
    const created = await tb.gql(
      `mutation { createAlertRule(input: { name: "always", metric: success_rate, scope: { trafficClass: critical },
        windowMs: 60000, comparator: lt, threshold: 2, minSample: 1, cooldownMs: 0 }) { id } }`,
    );
    expect(created.errors).toBeUndefined();
    await complete(tb, 'critical', 'first');
    await waitFor('the webhook to be in flight', () => hook.bodies.length > 0);
    expect(tb.services.monitoring.webhooks.pending()).toBe(1);

    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await complete(tb, 'critical', `next ${i}`)).routeId).toBe('gpt-4o');
    // The receiver holds its POST for 20 s; the completions did not wait for it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tb.services.monitoring.webhooks.pending()).toBe(1);
  });
});
