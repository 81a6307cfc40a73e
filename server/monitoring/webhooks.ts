import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertEvent, Severity } from '../../shared/contracts/alert.js';
import { backoffDelay } from '../../shared/engine/backoff.js';
import type { Random } from '../../shared/engine/ports.js';

/** A Slack-compatible incoming-webhook body; other chat tools (Mattermost, Rocket.Chat) read the same shape. */
export interface SlackMessage {
  text: string;
  blocks?: unknown[];
  attachments?: { color: string; fallback: string; fields: { title: string; value: string; short: boolean }[] }[];
}

export interface WebhookOptions {
  /** Receivers, e.g. Slack incoming-webhook URLs (env `BACKSTOP_ALERT_WEBHOOKS`, comma-separated). */
  urls: readonly string[];
  logger: Logger;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Tries per event and URL, the first included. Defaults to 5. */
  maxAttempts?: number;
  /** First retry delay, in milliseconds; doubles per retry (with jitter). Defaults to 1 000. */
  baseDelayMs?: number;
  /** Retry delay cap, in milliseconds. Defaults to 30 000. */
  maxDelayMs?: number;
  /** Time one POST may take before it is aborted and retried, in milliseconds. Defaults to 5 000. */
  timeoutMs?: number;
  /** Deliveries waiting or in flight; past it the oldest waiting one is dropped. Defaults to 1 000. */
  maxQueued?: number;
  /** Deliveries in flight at once. Defaults to 4. */
  concurrency?: number;
  random?: Random;
}

/** Delivers alert events to webhooks in the background: `notify` never waits and never throws. */
export interface WebhookNotifier {
  notify(event: AlertEvent): void;
  /** Deliveries not finished (waiting, in flight or backing off). */
  pending(): number;
  /** Resolves when nothing is pending, or after `timeoutMs` (milliseconds); true when idle. */
  idle(timeoutMs?: number): Promise<boolean>;
  /** Drops waiting deliveries, cancels backoffs and aborts POSTs in flight. */
  stop(): void;
}

const COLORS: Record<Severity, string> = { info: '#439fe0', warning: '#daa038', critical: '#d00000' };

/** The Slack body for one event: a one-line `text` (notifications), blocks for the message, a colored attachment. */
export function slackMessage(event: AlertEvent): SlackMessage {
  const head = `${event.state === 'fired' ? 'FIRING' : 'RESOLVED'} [${event.severity.toUpperCase()}] ${event.ruleName}`;
  const text = `${head}: ${event.message}`;
  const fields = [
    { title: 'Severity', value: event.severity, short: true },
    { title: 'State', value: event.state, short: true },
    { title: 'Rule', value: `${event.ruleName} (${event.ruleId})`, short: false },
    { title: 'Subject', value: event.subject, short: true },
    { title: 'Metric', value: event.metric, short: true },
    { title: 'Value', value: String(event.value), short: true },
    { title: 'Threshold', value: String(event.threshold), short: true },
  ];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${head}*\n${event.message}` } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `${event.subject} · ${new Date(event.atMs).toISOString()} · event ${event.id}` },
        ],
      },
    ],
    attachments: [{ color: COLORS[event.severity], fallback: text, fields }],
  };
}

// Statuses worth a retry: the receiver is down, slow or rate limiting us. Other 4xx mean the URL or body is wrong.
const isRetryable = (status: number) => status >= 500 || status === 408 || status === 429;

interface Delivery {
  url: string;
  event: AlertEvent;
}

/**
 * Webhook delivery off the request path: a bounded queue, a few deliveries in flight, each retried with exponential
 * backoff and jitter up to `maxAttempts`, each POST bounded by `timeoutMs`. A hanging receiver costs one slot per
 * attempt for `timeoutMs`, nothing else.
 * @example const hooks = createWebhookNotifier({ urls: ['https://hooks.slack.com/services/...'], logger });
 */
export function createWebhookNotifier(options: WebhookOptions): WebhookNotifier {
  const {
    urls,
    logger,
    maxAttempts = 5,
    baseDelayMs = 1_000,
    maxDelayMs = 30_000,
    timeoutMs = 5_000,
    maxQueued = 1_000,
    concurrency = 4,
    random = Math.random,
  } = options;
  const doFetch = options.fetch ?? fetch;
  const queue: Delivery[] = [];
  const halt = new AbortController();
  let active = 0;
  let stopped = false;

  // A backoff must not keep the process alive, and stop() cuts it short.
  const sleep = (ms: number) => delay(ms, undefined, { signal: halt.signal, ref: false }).catch(() => undefined);

  const post = async ({ url, event }: Delivery): Promise<{ ok: boolean; retry: boolean; why: string }> => {
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(slackMessage(event)),
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), halt.signal]),
      });
      // Drain the body so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      return { ok: res.ok, retry: isRetryable(res.status), why: `HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, retry: true, why: (e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message };
    }
  };

  const deliver = async (d: Delivery) => {
    const host = new URL(d.url).host;
    for (let attempt = 1; attempt <= maxAttempts && !stopped; attempt++) {
      const result = await post(d);
      if (result.ok || stopped) return;
      if (!result.retry || attempt === maxAttempts) {
        // The host only: webhook URLs carry their secret in the path.
        logger.warn({ host, event: d.event.id, attempts: attempt, why: result.why }, 'alert webhook not delivered');
        return;
      }
      await sleep(backoffDelay(attempt - 1, { baseDelayMs, maxDelayMs }, random));
    }
  };

  const pump = () => {
    while (!stopped && active < concurrency && queue.length > 0) {
      const next = queue.shift()!;
      active++;
      void deliver(next).finally(() => {
        active--;
        pump();
      });
    }
  };

  return {
    notify(event) {
      if (stopped || urls.length === 0) return;
      for (const url of urls) queue.push({ url, event });
      const over = queue.length - maxQueued;
      if (over > 0) {
        queue.splice(0, over);
        logger.error({ dropped: over }, 'alert webhook queue full; oldest deliveries dropped');
      }
      pump();
    },
    pending: () => queue.length + active,
    async idle(waitMs = 10_000) {
      const deadline = Date.now() + waitMs;
      while (queue.length + active > 0) {
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    },
    stop() {
      stopped = true;
      queue.length = 0;
      halt.abort();
    },
  };
}
