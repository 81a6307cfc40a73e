import { afterEach, describe, expect, it } from 'vitest';
import type { BackstopConfig } from '../../server/config.js';
import { mountOpenAICompatible } from '../../server/http/openai-compatible.js';
import type { FaultProfile } from '../../shared/contracts/fault-profile.js';
import type { ClassPolicy } from '../../shared/contracts/policy.js';
import { startTestBackstop, type TestBackstop } from '../support/backstop.js';

// Bounded, seeded scenarios: one fault profile on the primary route's model of `critical` (gpt-4o), the fallback
// (claude-sonnet-4) healthy. Every scenario sends N requests through the OpenAI endpoint and checks the figures.
const N = 30;
const PRIMARY = 'gpt-4o';
const FALLBACK = 'claude-sonnet-4';

interface AttemptNode {
  routeId: string;
  outcome: 'success' | 'failure' | 'skipped';
  retry: number;
  latencyMs: number;
}
interface DecisionNode {
  outcome: string;
  finalRouteId: string | null;
  totalLatencyMs: number;
  attemptCount: number;
  attempts: AttemptNode[];
}

const DECISIONS = `query ($first: Int!) {
  decisions(first: $first) {
    edges { node { outcome finalRouteId totalLatencyMs attemptCount attempts { routeId outcome retry latencyMs } } }
  }
}`;

let tb: TestBackstop | undefined;
afterEach(async () => {
  await tb?.close();
  tb = undefined;
});

async function start(options: { zeroDelay?: boolean; critical?: (c: ClassPolicy) => void } = {}) {
  const config = (c: BackstopConfig): BackstopConfig => {
    const policy = structuredClone(c.policy);
    options.critical?.(policy.classes.critical);
    return { ...c, policy };
  };
  tb = await startTestBackstop({
    zeroDelay: options.zeroDelay ?? true,
    config,
    app: { mount: (hono, services) => mountOpenAICompatible(hono, services) },
  });
  return tb;
}

const chat = (t: TestBackstop, i: number, stream = false) =>
  t.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'critical',
      messages: [{ role: 'user', content: `Question ${i}: what is the capital of France?` }],
      ...(stream && { stream: true }),
    }),
  });

/** Runs `n` tasks with at most `width` in flight; returns the results in order. */
async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

async function decisionsOf(t: TestBackstop): Promise<DecisionNode[]> {
  await t.services.decisions.flush();
  const res = await t.gql<{ decisions: { edges: { node: DecisionNode }[] } }>(DECISIONS, { first: 200 });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.decisions.edges.map((e) => e.node);
}

interface Figures {
  answered: number;
  maxCalls: number;
  maxLatencyMs: number;
  maxRetry: number;
  maxWaitMs: number;
  upstreamCalls: number;
  fallbacks: number;
}

/** Checks the caps on every decision and returns the scenario's figures. */
function assertBounded(decisions: DecisionNode[], cls: ClassPolicy, label: string): Figures {
  const { maxRetriesPerRoute, maxRetryTimeMs } = cls.retry;
  expect(decisions, `${label}: one decision per request`).toHaveLength(N);
  let maxCalls = 0;
  let maxLatencyMs = 0;
  let maxRetry = 0;
  let maxWaitMs = 0;
  let upstreamCalls = 0;
  for (const d of decisions) {
    const calls = d.attempts.filter((a) => a.outcome !== 'skipped');
    const routesTried = new Set(calls.map((a) => a.routeId)).size;
    expect(d.attemptCount, `${label}: attemptCount matches attempts`).toBe(d.attempts.length);
    expect(calls.length, `${label}: ${calls.length} upstream calls over ${routesTried} routes`).toBeLessThanOrEqual(
      (maxRetriesPerRoute + 1) * routesTried,
    );
    for (const a of d.attempts) {
      expect(a.retry, `${label}: retry ${a.retry} on ${a.routeId}`).toBeLessThanOrEqual(maxRetriesPerRoute);
    }
    // Time not spent inside an attempt is backoff / Retry-After waiting (plus a little bookkeeping).
    const waitMs = d.totalLatencyMs - calls.reduce((sum, a) => sum + a.latencyMs, 0);
    expect(waitMs, `${label}: ${waitMs} ms waiting`).toBeLessThanOrEqual(maxRetryTimeMs);
    maxCalls = Math.max(maxCalls, calls.length);
    maxLatencyMs = Math.max(maxLatencyMs, d.totalLatencyMs);
    maxRetry = Math.max(maxRetry, ...d.attempts.map((a) => a.retry));
    maxWaitMs = Math.max(maxWaitMs, waitMs);
    upstreamCalls += calls.length;
  }
  return {
    // A stand-in answer (flagged uncertain) is still an answer the user sees; only `failed` is an error.
    answered: decisions.filter((d) => d.outcome === 'success' || d.outcome === 'degraded').length,
    maxCalls,
    maxLatencyMs,
    maxRetry,
    maxWaitMs,
    upstreamCalls,
    fallbacks: decisions.filter((d) => d.finalRouteId === FALLBACK).length,
  };
}

const show = (f: Figures) =>
  `answered ${f.answered}/${N}, max ${f.maxCalls} upstream calls/request, max latency ${f.maxLatencyMs} ms, ` +
  `max retry ${f.maxRetry}, max wait ${f.maxWaitMs} ms, ${f.upstreamCalls} upstream calls, ${f.fallbacks} fallbacks`;

/** Sends N non-streaming requests and checks that every one got a 200 with the echoed answer. */
async function sendAll(t: TestBackstop, width: number): Promise<number[]> {
  const statuses = await pool(N, width, async (i) => {
    const res = await chat(t, i);
    const body = (await res.json()) as { choices?: { message: { content: string } }[] };
    if (res.status === 200) expect(body.choices?.[0]?.message.content).toContain(`Question ${i}`);
    return res.status;
  });
  return statuses;
}

async function runScenario(t: TestBackstop, profile: FaultProfile, width: number) {
  t.sim.setProfile(PRIMARY, profile);
  t.sim.reset();
  const statuses = await sendAll(t, width);
  const figures = assertBounded(await decisionsOf(t), t.services.config.policy.classes.critical, 'critical');
  const okCount = statuses.filter((s) => s === 200).length;
  expect(okCount, `HTTP 200 for ${okCount}/${N} (${show(figures)})`).toBe(N);
  expect(figures.answered, show(figures)).toBe(N);
  // Every upstream call the decisions report reached the simulator, and no other.
  expect(t.sim.stats().total, show(figures)).toBe(figures.upstreamCalls);
  return figures;
}

describe('fault profiles on the primary of critical, fallback healthy', () => {
  it('answers 30/30 with HTTP 200 when the primary returns 500 on every call, within the retry caps', async () => {
    const t = await start();
    const f = await runScenario(t, { errorRates: { '500': 1 } }, 1);
    expect(f.fallbacks, show(f)).toBe(N);
    // The breaker opens after 5 consecutive failures: later requests skip the primary without a call.
    expect(t.sim.stats().models[PRIMARY]?.requests, show(f)).toBeLessThanOrEqual(6);
    expect(f.maxCalls, show(f)).toBeLessThanOrEqual(3);
  });

  it('answers 30/30 with HTTP 200 through 30% 429 storms with Retry-After 1 s, within the retry caps', async () => {
    const t = await start();
    const f = await runScenario(t, { errorRates: { '429': 0.3 }, retryAfterSeconds: 1 }, 6);
    expect(f.maxCalls, show(f)).toBeLessThanOrEqual(4);
    // Retry-After (1 s) fits under skipToFallbackAboveMs (2 s), so the engine waits it out rather than skipping.
    expect(f.maxWaitMs, show(f)).toBeGreaterThanOrEqual(1_000);
    expect(f.maxLatencyMs, show(f)).toBeLessThan(5_000);
  });

  it('answers 30/30 with HTTP 200 when the primary is slower than its 300 ms tier timeout', async () => {
    const t = await start({
      zeroDelay: false,
      critical: (c) => {
        const primary = c.tiers[0]!;
        if (primary.kind === 'routes') primary.timeoutMs = 300;
      },
    });
    const f = await runScenario(t, { latency: { kind: 'fixed', ms: 2_000 } }, 3);
    expect(f.fallbacks, show(f)).toBe(N);
    // Two timed-out tries (300 ms each) plus one backoff, well under the simulator's 2 s.
    expect(f.maxLatencyMs, show(f)).toBeLessThan(1_900);
  });

  it('answers 30/30 with HTTP 200 when the primary returns malformed JSON bodies', async () => {
    const t = await start();
    const f = await runScenario(t, { malformedRate: 1 }, 3);
    expect(f.fallbacks, show(f)).toBe(N);
  });

  it('completes 30/30 streams with the whole answer and [DONE] when the primary drops them mid-way', async () => {
    const t = await start();
    t.sim.setProfile(PRIMARY, { streamDropAfterChunks: 2 });
    t.sim.reset();
    const results = await pool(N, 3, async (i) => {
      const res = await chat(t, i, true);
      const raw = await res.text();
      const data = raw
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice('data: '.length));
      let text = '';
      for (const d of data.filter((x) => x !== '[DONE]')) {
        const chunk = JSON.parse(d) as { choices?: { delta?: { content?: string } }[] };
        text += chunk.choices?.[0]?.delta?.content ?? '';
      }
      return { status: res.status, done: data.at(-1) === '[DONE]', text, i };
    });
    const complete = results.filter(
      (r) => r.status === 200 && r.done && r.text === `You said: "Question ${r.i}: what is the capital of France?"`,
    ).length;
    const f = assertBounded(await decisionsOf(t), t.services.config.policy.classes.critical, 'critical stream');
    expect(complete, `${complete}/${N} complete streams ending in [DONE] (${show(f)})`).toBe(N);
    expect(f.answered, show(f)).toBe(N);
    expect(t.sim.stats().models[PRIMARY]?.requests, show(f)).toBeGreaterThan(0);
  });
});
