import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig, loadConfig } from '../server/config.js';
import { createPgliteDatabase, type BenchDatabase } from './databases.js';
import { benchDecisionLog } from './decision-log.bench.js';
import { benchEngine } from './engine.bench.js';
import { benchFailover } from './failover.bench.js';
import { benchLatency } from './latency.bench.js';
import { benchMemory } from './memory.bench.js';
import { BENCH_CONFIG } from './processes.js';
import { SETTINGS } from './settings.js';
import { startStack, type BenchStack } from './stack.js';
import { benchThroughput } from './throughput.bench.js';

// The harness with tiny counts, so that `npm test` notices when it rots. The figures mean nothing here; only their
// shape and that they are finite and positive. One stack (simulator + Backstop processes) serves every case, in order.
const settings = SETTINGS.smoke;
const positive = (x: number) => expect(Number.isFinite(x) && x > 0, `${x} is finite and positive`).toBe(true);
const finite = (x: number) => expect(Number.isFinite(x), `${x} is finite`).toBe(true);

describe('bench harness (smoke)', () => {
  let database: BenchDatabase;
  let stack: BenchStack;

  beforeAll(async () => {
    database = await createPgliteDatabase();
    stack = await startStack(database);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await database?.drop();
  }, 60_000);

  it('configures the bench Backstop with the demo routes and policy', async () => {
    const bench = await loadConfig(BENCH_CONFIG, { SIM_URL: 'http://127.0.0.1:1' });
    const demo = demoConfig();
    expect([...bench.routes.values()]).toEqual([...demo.routes.values()]);
    expect(bench.policy).toEqual(demo.policy);
  });

  it('reads Backstop RSS idle, under load and after load', async () => {
    const result = await benchMemory(stack, settings.memory);
    expect(result.phases.map((p) => p.phase)).toHaveLength(1 + 2 * settings.memory.loads);
    for (const p of result.phases) [p.backstopMb, p.backstopMaxMb, p.simulatorMb].forEach(positive);
    positive(result.peakMb);
    finite(result.growthMb);
    expect(['PASS', 'MISS']).toContain(result.peakVerdict);
  });

  it('measures added latency for the OpenAI endpoint, GraphQL and streaming time-to-first-token', async () => {
    const rows = await benchLatency(stack, settings.latency);
    expect(rows.map((r) => r.endpoint)).toEqual(['openai', 'graphql', 'stream-ttft']);
    for (const r of rows) {
      [r.directMs, r.backstopMs, r.directP99Ms, r.backstopP99Ms, r.samples].forEach(positive);
      [r.addedMs, r.addedP99Ms].forEach(finite);
      expect(r.errors).toBe(0);
    }
    expect(rows[0]!.verdict).toMatch(/PASS|MISS/);
    // The bare proxy's floor is measured for the plain requests, not for streaming.
    expect(rows.map((r) => Number.isFinite(r.floorAddedMs))).toEqual([true, true, false]);
  });

  it('measures throughput through Backstop next to the simulator alone', async () => {
    const rows = await benchThroughput(stack, settings.throughput);
    expect(rows).toHaveLength(1);
    const [r] = rows;
    [r!.rps, r!.directRps, r!.bareRps!, r!.bareP50Ms!, r!.p50Ms, r!.p99Ms, r!.directP50Ms, r!.ratio].forEach(positive);
    expect(r!.errors + r!.directErrors).toBe(0);
    // CPU time comes in 10 ms ticks: a short smoke cell may round to 0, never below.
    [r!.cpuUs, r!.bareCpuUs!].forEach((us) => expect(us).toBeGreaterThanOrEqual(0));
    expect(r!.decisionBacklog).toBeGreaterThanOrEqual(0);
  });

  it('measures failover cost, ending with zero calls to a dead route behind an open breaker', async () => {
    const rows = await benchFailover(stack, settings.failover);
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      [r.healthyMs, r.failingMs, r.samples, r.upstreamCalls].forEach(positive);
      finite(r.addedMs);
      expect(r.errors).toBe(0);
    }
    const closed = rows.slice(0, 4);
    expect(closed.every((r) => r.breaker === 'closed')).toBe(true);
    expect(closed.map((r) => r.primaryCalls)).toEqual([2, 2, 1, 2]);
    expect(rows[4]).toMatchObject({ breaker: 'open', primaryCalls: 0, wastedCalls: 0, upstreamCalls: 1 });
  }, 60_000);

  it('measures decision-log throughput against plain INSERTs (PGlite)', async () => {
    const scratch = await createPgliteDatabase();
    try {
      const row = await benchDecisionLog(scratch, settings.decisionLog);
      [row.writerPerSec, row.plainInsertPerSec, row.ratio, row.attempts].forEach(positive);
      expect(row).toMatchObject({ decisions: settings.decisionLog.decisions, written: settings.decisionLog.decisions });
      expect(row.dropped).toBe(0);
    } finally {
      await scratch.drop();
    }
  }, 60_000);

  it('times the engine against an empty async call', async () => {
    const rows = await benchEngine(settings.engine);
    expect(rows).toHaveLength(3);
    for (const r of rows) [r.opsPerSec, r.usPerOp, r.ratioToBaseline].forEach(positive);
  });
});
