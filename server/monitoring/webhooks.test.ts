import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../shared/contracts/alert.js';
import { createWebhookNotifier, slackMessage } from './webhooks.js';

const logger = pino({ level: 'silent' });
const event = (n: number): AlertEvent => ({
  id: `e${n}`,
  ruleId: 'default:breaker-open',
  ruleName: 'Circuit breaker open',
  tenantId: null,
  severity: 'critical',
  state: 'resolved',
  metric: 'breaker_open',
  subject: 'route:gpt-4o',
  value: 0,
  threshold: 0,
  message: 'breaker open 0 no longer > 0 on route:gpt-4o',
  atMs: Date.UTC(2026, 0, 1),
});

/** A fetch that never answers until its signal aborts; records the bodies it was sent. */
function hangingFetch() {
  const sent: string[] = [];
  const fetch = (_url: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      sent.push(String(init?.body));
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason));
    });
  return { sent, fetch: fetch as typeof globalThis.fetch };
}

describe('slackMessage', () => {
  it('says RESOLVED with the severity color and every field a receiver needs', () => {
    const body = slackMessage(event(1));
    expect(body.text).toBe('RESOLVED [CRITICAL] Circuit breaker open: breaker open 0 no longer > 0 on route:gpt-4o');
    expect(body.attachments![0]!.color).toBe('#d00000');
    expect(body.attachments![0]!.fields.map((f) => f.title)).toEqual([
      'Severity',
      'State',
      'Rule',
      'Subject',
      'Metric',
      'Value',
      'Threshold',
    ]);
  });
});

describe('webhook notifier', () => {
  it('keeps at most maxQueued deliveries waiting, dropping the oldest', async () => {
    const { sent, fetch } = hangingFetch();
    const notifier = createWebhookNotifier({
      urls: ['http://hook.test/a'],
      logger,
      fetch,
      concurrency: 1,
      maxQueued: 2,
    });
    for (let n = 1; n <= 5; n++) notifier.notify(event(n));
    // One in flight (e1), two waiting (e4, e5): e2 and e3 were dropped.
    expect(notifier.pending()).toBe(3);
    expect(sent.map((b) => JSON.parse(b).blocks[1].elements[0].text)).toEqual([expect.stringContaining('event e1')]);
    notifier.stop();
    expect(await notifier.idle(1_000)).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it('returns from notify at once, whatever the receiver does', () => {
    const { fetch } = hangingFetch();
    const notifier = createWebhookNotifier({ urls: ['http://hook.test/a', 'http://hook.test/b'], logger, fetch });
    const started = performance.now();
    for (let n = 0; n < 100; n++) notifier.notify(event(n));
    expect(performance.now() - started).toBeLessThan(100);
    expect(notifier.pending()).toBe(200);
    notifier.stop();
  });
});
