import { chatRequest, closedLoop, createPool, send, type LoadResult } from './load.js';
import { verdict, type Verdict } from './report.js';
import type { BenchStack } from './stack.js';
import type { ChildHandle } from './processes.js';
import { round } from './stats.js';

/** Requests/s through Backstop and straight to the simulator, at one concurrency and upstream latency. */
export interface ThroughputRow {
  database: 'pglite' | 'postgres';
  upstreamMs: number;
  concurrency: number;
  directRps: number;
  directP50Ms: number;
  directP99Ms: number;
  directErrors: number;
  /** The bare Node proxy's requests/s and p50 in the same cell (zero-delay cells only): the floor of one Node hop. */
  bareRps?: number;
  bareP50Ms?: number;
  /** CPU time the bare proxy process spent per request of its cell, in microseconds (Linux; NaN elsewhere). */
  bareCpuUs?: number;
  /** CPU time the Backstop process spent per request of its cell, in microseconds (Linux; NaN elsewhere). */
  cpuUs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Backstop's requests/s over the simulator's alone. */
  ratio: number;
  /** Decisions still buffered in Backstop right after the run (the decision log keeping up). */
  decisionBacklog: number;
  targetRps?: number;
  verdict?: Verdict;
}

export interface ThroughputOptions {
  concurrencies: readonly number[];
  upstreamMs: readonly number[];
  seconds: number;
  warmupSeconds: number;
}

/** Target from issue #8: requests/s at concurrency 32 (zero-latency upstream). */
export const THROUGHPUT_TARGET = { concurrency: 32, rps: 4_000 } as const;

/**
 * Closed-loop load at each concurrency against a simulator answering after each upstream latency (0 ms: zero-delay
 * mode; otherwise SIM_LATENCY_MS), with decision logging and budgets on. Each Backstop cell follows a direct cell at
 * the same concurrency and latency and, with a zero-delay upstream, a bare-proxy cell. Leaves the simulator in
 * zero-delay mode.
 */
export async function benchThroughput(stack: BenchStack, options: ThroughputOptions): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const backstop = createPool(stack.backstop.url);
  const bare = createPool(stack.bareProxy.url);
  const through = chatRequest('critical', { key: stack.key });
  const plain = chatRequest('gpt-4o');
  try {
    for (const upstreamMs of options.upstreamMs) {
      await useLatency(stack, upstreamMs);
      const direct = createPool(stack.simulator().url);
      try {
        for (const concurrency of options.concurrencies) {
          await closedLoop(concurrency, options.warmupSeconds, () => send(backstop, through));
          await stack.settle();
          const base = await closedLoop(concurrency, options.seconds, () => send(direct, plain));
          let floor: (LoadResult & { cpuUs: number }) | undefined;
          if (upstreamMs === 0) {
            await closedLoop(concurrency, options.warmupSeconds, () => send(bare, plain));
            floor = await cpuPerRequest(stack.bareProxy.handle, () =>
              closedLoop(concurrency, options.seconds, () => send(bare, plain)),
            );
          }
          const run = await cpuPerRequest(stack.backstop.handle, () =>
            closedLoop(concurrency, options.seconds, () => send(backstop, through)),
          );
          const decisionBacklog = await stack.decisionBacklog();
          await stack.settle();
          const isTarget = upstreamMs === 0 && concurrency === THROUGHPUT_TARGET.concurrency;
          rows.push({
            database: stack.database.kind,
            upstreamMs,
            concurrency,
            directRps: Math.round(base.rps),
            directP50Ms: round(base.p50Ms),
            directP99Ms: round(base.p99Ms),
            directErrors: base.errors,
            ...(floor && { bareRps: Math.round(floor.rps), bareP50Ms: round(floor.p50Ms), bareCpuUs: floor.cpuUs }),
            rps: Math.round(run.rps),
            p50Ms: round(run.p50Ms),
            p99Ms: round(run.p99Ms),
            errors: run.errors,
            cpuUs: run.cpuUs,
            ratio: round(run.rps / base.rps, 3),
            decisionBacklog,
            ...(isTarget && { targetRps: THROUGHPUT_TARGET.rps, verdict: verdict(run.rps >= THROUGHPUT_TARGET.rps) }),
          });
        }
      } finally {
        await direct.close();
      }
    }
  } finally {
    await Promise.all([backstop.close(), bare.close()]);
    await useLatency(stack, 0);
  }
  return rows;
}

/** Runs a closed loop and adds the CPU time `child` spent on it, per request, in microseconds. */
async function cpuPerRequest(child: ChildHandle, load: () => Promise<LoadResult>) {
  const before = child.cpuMs();
  const result = await load();
  const requests = result.ok + result.errors;
  return { ...result, cpuUs: Math.round(((child.cpuMs() - before) * 1000) / requests) };
}

async function useLatency(stack: BenchStack, upstreamMs: number): Promise<void> {
  const current = stack.simulator().options;
  const wanted = upstreamMs === 0 ? { zeroDelay: true } : { latencyMs: upstreamMs };
  if (Boolean(current.zeroDelay) === Boolean(wanted.zeroDelay) && (current.latencyMs ?? 0) === upstreamMs) return;
  await stack.restartSimulator(wanted);
}

/** The table rows as printed. */
export function throughputTable(rows: readonly ThroughputRow[]) {
  return rows.map((r) => ({
    db: r.database,
    'upstream ms': r.upstreamMs,
    c: r.concurrency,
    'direct req/s': r.directRps,
    'direct p50/p99 ms': `${r.directP50Ms} / ${r.directP99Ms}`,
    'bare proxy req/s': r.bareRps ?? '',
    'bare proxy CPU µs/req': r.bareCpuUs ?? '',
    'Backstop req/s': r.rps,
    'p50/p99 ms': `${r.p50Ms} / ${r.p99Ms}`,
    'Backstop CPU µs/req': r.cpuUs,
    'errors direct/Backstop': `${r.directErrors} / ${r.errors}`,
    'x direct': r.ratio,
    backlog: r.decisionBacklog,
    target: r.targetRps !== undefined ? `>= ${r.targetRps}` : '',
    verdict: r.verdict ?? '',
  }));
}
