import { chatRequest, closedLoop, createPool, send } from './load.js';
import { verdict, type Verdict } from './report.js';
import type { BenchStack } from './stack.js';
import { round } from './stats.js';

/** RSS of Backstop and, as the baseline, of the simulator (a bare Node HTTP server) at one moment or phase. */
export interface MemoryPhase {
  phase: string;
  backstopMb: number;
  /** Highest sample of a load phase; equal to `backstopMb` for a single reading. */
  backstopMaxMb: number;
  simulatorMb: number;
  simulatorMaxMb: number;
  /** Requests/s of a load phase; 0 for a reading at rest. */
  rps: number;
}

export interface MemoryResult {
  database: 'pglite' | 'postgres';
  concurrency: number;
  phases: MemoryPhase[];
  /** Highest Backstop RSS under load, in MB. */
  peakMb: number;
  /** RSS after the last load minus RSS after `growthFrom`, in MB: memory the same load did not give back. */
  growthMb: number;
  /** The reading growth is measured from: after load 2 (load 1 is the warm-up), or after load 1 with two loads. */
  growthFrom: string;
  simulatorGrowthMb: number;
  peakVerdict: Verdict;
  growthVerdict: Verdict;
}

export interface MemoryOptions {
  concurrency: number;
  /** Identical load phases, each followed by a reading at rest; at least 2. */
  loads: number;
  loadSeconds: number;
  /** Pause after each load before reading RSS, in seconds (timers flush, the decision buffer drains). */
  settleSeconds: number;
}

/** Targets from issue #8: RSS per process under load, and no growth after it (with a tolerance for allocator noise). */
export const MEMORY_TARGETS = { peakMb: 150, growthMb: 10 } as const;

const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));

/**
 * Backstop's RSS idle (right after start-up), then under `loads` identical phases of sustained closed-loop load, each
 * followed by a reading at rest. Growth is the last reading minus the one after load 2 (load 1 warms up). Run it on a
 * fresh stack: "idle" means no request yet.
 */
export async function benchMemory(stack: BenchStack, options: MemoryOptions): Promise<MemoryResult> {
  const backstop = stack.backstop.handle;
  const simulator = stack.simulator().handle;
  const reading = (phase: string): MemoryPhase => {
    const b = backstop.rssMb();
    const s = simulator.rssMb();
    return {
      phase,
      backstopMb: round(b, 1),
      backstopMaxMb: round(b, 1),
      simulatorMb: round(s, 1),
      simulatorMaxMb: round(s, 1),
      rps: 0,
    };
  };
  const pool = createPool(stack.backstop.url);
  const spec = chatRequest('critical', { key: stack.key });
  const load = async (phase: string): Promise<MemoryPhase> => {
    const b: number[] = [];
    const s: number[] = [];
    const result = await closedLoop(
      options.concurrency,
      options.loadSeconds,
      () => send(pool, spec),
      () => {
        b.push(backstop.rssMb());
        s.push(simulator.rssMb());
      },
    );
    const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
    return {
      phase,
      backstopMb: round(mean(b), 1),
      backstopMaxMb: round(Math.max(...b), 1),
      simulatorMb: round(mean(s), 1),
      simulatorMaxMb: round(Math.max(...s), 1),
      rps: Math.round(result.rps),
    };
  };
  try {
    await sleep(options.settleSeconds);
    const phases = [reading('idle')];
    const loads: MemoryPhase[] = [];
    const afters: MemoryPhase[] = [];
    for (let i = 1; i <= options.loads; i++) {
      loads.push(await load(`load ${i} (c=${options.concurrency}, ${options.loadSeconds} s)`));
      await sleep(options.settleSeconds);
      afters.push(reading(`after load ${i}`));
      phases.push(loads.at(-1)!, afters.at(-1)!);
    }
    // The first load is the warm-up (JIT, connection pools, heap sizing): growth is measured from the second one on.
    const reference = afters[Math.max(0, Math.min(1, afters.length - 2))]!;
    const last = afters.at(-1)!;
    const peakMb = Math.max(...loads.map((l) => l.backstopMaxMb));
    const growthMb = round(last.backstopMb - reference.backstopMb, 1);
    return {
      database: stack.database.kind,
      concurrency: options.concurrency,
      phases,
      peakMb,
      growthMb,
      growthFrom: reference.phase,
      simulatorGrowthMb: round(last.simulatorMb - reference.simulatorMb, 1),
      peakVerdict: verdict(peakMb < MEMORY_TARGETS.peakMb),
      growthVerdict: verdict(growthMb <= MEMORY_TARGETS.growthMb),
    };
  } finally {
    await pool.close();
  }
}

/** The table rows as printed. */
export function memoryTable(result: MemoryResult) {
  return result.phases.map((p) => ({
    db: result.database,
    phase: p.phase,
    'Backstop RSS MB (mean)': p.backstopMb,
    'Backstop max MB': p.backstopMaxMb,
    'simulator RSS MB (baseline)': p.simulatorMb,
    'simulator max MB': p.simulatorMaxMb,
    'req/s': p.rps || '',
  }));
}
