import { parseArgs } from 'node:util';
import { createPgliteDatabase, findPostgres, type BenchDatabase } from './databases.js';
import { benchDecisionLog, decisionLogTable, type DecisionLogRow } from './decision-log.bench.js';
import { benchEngine } from './engine.bench.js';
import { benchFailover, failoverTable, type FailoverRow } from './failover.bench.js';
import { LATENCY_TARGETS_MS, benchLatency, latencyTable, type LatencyRow } from './latency.bench.js';
import { MEMORY_TARGETS, benchMemory, memoryTable, type MemoryResult } from './memory.bench.js';
import { printTable, saveResult, verdict, type TargetCheck } from './report.js';
import { SETTINGS } from './settings.js';
import { startStack } from './stack.js';
import { THROUGHPUT_TARGET, benchThroughput, throughputTable, type ThroughputRow } from './throughput.bench.js';

// `npm run bench` (about 5 minutes) or `BENCH_QUICK=1 npm run bench` (about 1 minute, smaller counts). The simulator
// and Backstop run as child processes; this process is the load generator. JSON goes to bench/results/ (git-ignored).
// `npm run bench -- --only latency,memory` runs some sections (full counts) and leaves the others' JSON as it was.
const SECTIONS = ['engine', 'memory', 'latency', 'throughput', 'failover', 'decision-log'] as const;
type Section = (typeof SECTIONS)[number];
const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
const only = args.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s)) ?? [];
if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
const runs = (section: Section) => !only || only.includes(section);
const quick = process.env.BENCH_QUICK === '1';
const settings = SETTINGS[quick ? 'quick' : 'full'];
const meta = { mode: quick ? 'quick' : 'full', ...(only && { only }) };
const runStarted = performance.now();
const wallTimes: Record<string, number> = {};
const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    wallTimes[name] = seconds(started);
    console.log(`(${name}: ${wallTimes[name]} s)`);
  }
}

console.log(`Backstop benchmarks (${meta.mode}; issue #8 figures, each next to a baseline from this run)`);

if (runs('engine')) {
  const engine = await timed('engine', () => benchEngine(settings.engine));
  printTable(
    'Engine (in process, real clock, budgets + cache + decision sink on)',
    engine.map((r) => ({
      case: r.case,
      'ops/s': r.opsPerSec,
      'µs/op': r.usPerOp.toFixed(2),
      'overhead µs': r.overheadUs.toFixed(2),
      'x baseline': r.ratioToBaseline.toFixed(1),
    })),
  );
  saveResult('engine', engine, meta);
}

const postgres = await findPostgres();
const skipped: string[] = [];
if (!postgres.ok) {
  skipped.push(postgres.reason);
  console.log(`\nPostgres rows skipped: ${postgres.reason}`);
}
const databases: (() => Promise<BenchDatabase>)[] = [createPgliteDatabase, ...(postgres.ok ? [postgres.create] : [])];

const latency: (LatencyRow & { database: string })[] = [];
const throughput: ThroughputRow[] = [];
const memory: MemoryResult[] = [];
let failover: FailoverRow[] = [];
const processes: Record<string, unknown>[] = [];
const stackSections: Section[] = ['memory', 'latency', 'throughput', 'failover'];
for (const create of stackSections.some(runs) ? databases : []) {
  const database = await create();
  const kind = database.kind;
  const stack = await timed(`start ${kind} stack`, () => startStack(database));
  try {
    if (runs('memory')) {
      const mem = await timed(`memory (${kind})`, () => benchMemory(stack, settings.memory));
      memory.push(mem);
      printTable(`Memory, Backstop process RSS (${kind}), simulator process as baseline`, memoryTable(mem));
    }

    if (runs('latency')) {
      const lat = await timed(`latency (${kind})`, () => benchLatency(stack, settings.latency));
      latency.push(...lat.map((r) => ({ database: kind, ...r })));
      printTable(
        `Added latency at concurrency 1 (${kind}; zero-delay simulator; median of round medians, and p99)`,
        latencyTable(lat),
      );
    }

    if (runs('throughput')) {
      const tp = await timed(`throughput (${kind})`, () => benchThroughput(stack, settings.throughput));
      throughput.push(...tp);
      printTable(
        `Throughput (${kind}; decision log and budgets on), direct-to-simulator cell as baseline`,
        throughputTable(tp),
      );
    }

    if (kind === 'pglite' && runs('failover')) {
      failover = await timed('failover', () => benchFailover(stack, settings.failover));
      printTable(
        'Failover cost on the critical primary (pglite), healthy calls of the same run as baseline',
        failoverTable(failover),
      );
    }
    const budgetSpentUsd = await stack.budgetSpentUsd();
    const warnings = [...stack.backstop.handle.warnings(), ...stack.simulator().handle.warnings()];
    processes.push({ database: kind, budgetSpentUsd, warnings: warnings.length, firstWarnings: warnings.slice(0, 5) });
    console.log(
      `\n${kind}: bench tenant budget spent ${budgetSpentUsd.toFixed(4)} USD (reservations ran); ${warnings.length} warning lines logged`,
    );
    for (const line of warnings.slice(0, 3)) console.log(`  ${line.slice(0, 300)}`);
  } finally {
    await stack.stop();
    await database.drop();
  }
}
if (runs('latency')) saveResult('latency', latency, meta);
if (runs('throughput')) saveResult('throughput', throughput, meta);
if (runs('memory')) saveResult('memory', memory, meta);
if (runs('failover')) saveResult('failover', failover, meta);

const decisionLog: DecisionLogRow[] = [];
for (const create of runs('decision-log') ? databases : []) {
  const database = await create();
  try {
    decisionLog.push(
      await timed(`decision log (${database.kind})`, () => benchDecisionLog(database, settings.decisionLog)),
    );
  } finally {
    await database.drop();
  }
}
if (runs('decision-log')) {
  printTable(
    'Decision-log throughput (in process, batch writer), plain multi-row INSERT as baseline',
    decisionLogTable(decisionLog),
  );
  saveResult('decision-log', decisionLog, meta);
}

const checks: TargetCheck[] = [
  ...throughput
    .filter((r) => r.verdict)
    .map((r) => ({
      target: `>= ${THROUGHPUT_TARGET.rps} req/s at c=${r.concurrency} (${r.database})`,
      figure: `${r.rps} req/s, ${r.cpuUs} µs CPU/req (direct ${r.directRps}; bare Node proxy ${r.bareRps ?? 'n/a'}, ${r.bareCpuUs ?? 'n/a'} µs)`,
      verdict: r.verdict!,
    })),
  ...latency
    .filter((r) => r.verdict)
    .map((r) => ({
      target: `added p50 <= ${LATENCY_TARGETS_MS[r.endpoint as keyof typeof LATENCY_TARGETS_MS]} ms, ${r.endpoint} (${r.database})`,
      figure: `${r.addedMs} ms (bare Node proxy ${r.floorAddedMs ?? 'n/a'} ms)`,
      verdict: r.verdict!,
    })),
  ...memory.flatMap((m) => [
    {
      target: `RSS < ${MEMORY_TARGETS.peakMb} MB under load, c=${m.concurrency} (${m.database})`,
      figure: `${m.peakMb} MB`,
      verdict: m.peakVerdict,
    },
    {
      target: `no RSS growth after load, <= ${MEMORY_TARGETS.growthMb} MB (${m.database})`,
      figure: `${m.growthMb} MB (${m.phases.at(-1)!.phase} vs ${m.growthFrom})`,
      verdict: m.growthVerdict,
    },
  ]),
  ...failover
    .filter((r) => r.verdict)
    .map((r) => ({
      target: `breaker open: ${r.target}`,
      figure: `${r.wastedCalls} calls to the dead route in ${r.samples} requests, ${r.addedMs} ms added`,
      verdict: r.verdict!,
    })),
];
printTable('Targets (issue #8)', checks);
wallTimes.total = seconds(runStarted);
saveResult(
  'summary',
  { checks, wallTimes, skipped, processes, allPass: checks.every((c) => c.verdict === verdict(true)) },
  meta,
);
console.log(`\nWall time: ${wallTimes.total} s. JSON in bench/results/.`);
