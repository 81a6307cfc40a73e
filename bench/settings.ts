import type { DecisionLogOptions } from './decision-log.bench.js';
import type { FailoverOptions } from './failover.bench.js';
import type { LatencyOptions } from './latency.bench.js';
import type { MemoryOptions } from './memory.bench.js';
import type { ThroughputOptions } from './throughput.bench.js';

/** Counts and durations of one run of every bench. */
export interface BenchSettings {
  engine: { rounds: number; perRound: number };
  latency: LatencyOptions;
  throughput: ThroughputOptions;
  memory: MemoryOptions;
  failover: FailoverOptions;
  decisionLog: DecisionLogOptions;
}

/**
 * `full` is `npm run bench` (about 5 minutes on 2 cores); `quick` is `BENCH_QUICK=1` (about a minute: fewer rounds,
 * shorter cells, concurrency 32 only); `smoke` is the vitest smoke test (seconds, figures meaningless).
 */
export const SETTINGS: Record<'full' | 'quick' | 'smoke', BenchSettings> = {
  full: {
    engine: { rounds: 7, perRound: 5_000 },
    latency: { rounds: 10, perRound: 200, maxSecondsPerCase: 1.2, warmup: 300 },
    throughput: { concurrencies: [1, 8, 32, 128], upstreamMs: [0, 50], seconds: 3, warmupSeconds: 0.5 },
    memory: { concurrency: 32, loads: 4, loadSeconds: 6, settleSeconds: 2 },
    failover: { samples: 8 },
    decisionLog: { decisions: 20_000 },
  },
  quick: {
    engine: { rounds: 3, perRound: 1_000 },
    latency: { rounds: 3, perRound: 60, maxSecondsPerCase: 0.5, warmup: 60 },
    throughput: { concurrencies: [32], upstreamMs: [0, 50], seconds: 1, warmupSeconds: 0.25 },
    memory: { concurrency: 32, loads: 3, loadSeconds: 2, settleSeconds: 0.5 },
    failover: { samples: 2 },
    decisionLog: { decisions: 2_000 },
  },
  smoke: {
    engine: { rounds: 1, perRound: 100 },
    latency: { rounds: 2, perRound: 5, maxSecondsPerCase: 0.5, warmup: 5 },
    throughput: { concurrencies: [2], upstreamMs: [0], seconds: 0.3, warmupSeconds: 0.1 },
    memory: { concurrency: 4, loads: 2, loadSeconds: 0.5, settleSeconds: 0.2 },
    failover: { samples: 1, hangTimeoutMs: 250 },
    decisionLog: { decisions: 200 },
  },
};
