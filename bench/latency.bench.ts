import {
  chatRequest,
  createPool,
  firstToken,
  graphqlCompleteRequest,
  interleavedRounds,
  send,
  type RoundSamples,
} from './load.js';
import { verdict, type Verdict } from './report.js';
import type { BenchStack } from './stack.js';
import { median, quantile, round } from './stats.js';

/** Added latency of one Backstop endpoint over the same request straight to the simulator, at concurrency 1. */
export interface LatencyRow {
  endpoint: 'openai' | 'graphql' | 'stream-ttft';
  /** Median of round medians, in milliseconds. */
  directMs: number;
  backstopMs: number;
  addedMs: number;
  directP99Ms: number;
  backstopP99Ms: number;
  addedP99Ms: number;
  samples: number;
  errors: number;
  /**
   * What the bare Node proxy adds for the same plain request (median of round medians, in milliseconds): the floor of
   * one more Node hop here, whatever the gateway does. Absent for streaming.
   */
  floorAddedMs?: number;
  /** The bound on `addedMs`, when it sets one. */
  targetMs?: number;
  verdict?: Verdict;
}

export interface LatencyOptions {
  rounds: number;
  perRound: number;
  /** Cap of one case in one round, in seconds, so a slow path cannot stretch the run. */
  maxSecondsPerCase: number;
  warmup: number;
}

/** Targets from issue #8: added p50 at concurrency 1, in milliseconds. */
export const LATENCY_TARGETS_MS = { openai: 0.3, graphql: 0.6 } as const;

/**
 * Interleaved rounds of direct-to-simulator and through-Backstop requests at concurrency 1 (the simulator in
 * zero-delay mode): the OpenAI endpoint and the GraphQL `complete` mutation against a plain simulator call, and
 * streaming time-to-first-token against a streamed simulator call. The critical class's primary is `gpt-4o`. The same
 * plain call through the bare proxy gives the floor of the extra hop.
 */
export async function benchLatency(stack: BenchStack, options: LatencyOptions): Promise<LatencyRow[]> {
  const direct = createPool(stack.simulator().url, 4);
  const backstop = createPool(stack.backstop.url, 4);
  const bare = createPool(stack.bareProxy.url, 4);
  const specs = {
    direct: chatRequest('gpt-4o'),
    directStream: chatRequest('gpt-4o', { stream: true }),
    openai: chatRequest('critical', { key: stack.key }),
    graphql: graphqlCompleteRequest(stack.key),
    stream: chatRequest('critical', { key: stack.key, stream: true }),
  };
  const cases = {
    direct: () => send(direct, specs.direct),
    bare: () => send(bare, specs.direct),
    openai: () => send(backstop, specs.openai),
    graphql: () => send(backstop, specs.graphql),
    directStream: () => firstToken(direct, specs.directStream),
    stream: () => firstToken(backstop, specs.stream),
  };
  try {
    // Warm-up: JIT, connection pools, the budget lease and the policy cache.
    await interleavedRounds(cases, { rounds: 1, perRound: options.warmup, maxSecondsPerCase: 10 });
    await stack.settle();
    const r = await interleavedRounds(cases, options);
    const floorAddedMs = round(median(r.bare.roundMedians) - median(r.direct.roundMedians));
    return [
      { ...row('openai', r.direct, r.openai, LATENCY_TARGETS_MS.openai), floorAddedMs },
      { ...row('graphql', r.direct, r.graphql, LATENCY_TARGETS_MS.graphql), floorAddedMs },
      row('stream-ttft', r.directStream, r.stream),
    ];
  } finally {
    await Promise.all([direct.close(), backstop.close(), bare.close()]);
  }
}

function row(endpoint: LatencyRow['endpoint'], base: RoundSamples, through: RoundSamples, targetMs?: number) {
  const directMs = median(base.roundMedians);
  const backstopMs = median(through.roundMedians);
  const directP99Ms = quantile(base.samples, 0.99);
  const backstopP99Ms = quantile(through.samples, 0.99);
  const addedMs = backstopMs - directMs;
  return {
    endpoint,
    directMs: round(directMs),
    backstopMs: round(backstopMs),
    addedMs: round(addedMs),
    directP99Ms: round(directP99Ms),
    backstopP99Ms: round(backstopP99Ms),
    addedP99Ms: round(backstopP99Ms - directP99Ms),
    samples: through.samples.length,
    errors: through.errors + base.errors,
    ...(targetMs !== undefined && { targetMs, verdict: verdict(addedMs <= targetMs) }),
  } satisfies LatencyRow;
}

/** The table rows as printed. */
export function latencyTable(rows: readonly LatencyRow[]) {
  return rows.map((r) => ({
    endpoint: r.endpoint,
    'direct p50 ms': r.directMs,
    'Backstop p50 ms': r.backstopMs,
    'added p50 ms': r.addedMs,
    'direct p99 ms': r.directP99Ms,
    'Backstop p99 ms': r.backstopP99Ms,
    'added p99 ms': r.addedP99Ms,
    'bare proxy added p50 ms': r.floorAddedMs ?? '',
    samples: r.samples,
    errors: r.errors,
    target: r.targetMs !== undefined ? `<= ${r.targetMs} ms` : '',
    verdict: r.verdict ?? '',
  }));
}
