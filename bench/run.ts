import { mkdirSync, writeFileSync } from 'node:fs';
import { benchEngine } from './engine.bench.js';
import { benchServer } from './server.bench.js';

// Each benchmark prints its table and writes JSON under bench/results/ (git-ignored).
mkdirSync('bench/results', { recursive: true });
const save = (name: string, data: unknown) =>
  writeFileSync(
    `bench/results/${name}.json`,
    JSON.stringify({ at: new Date().toISOString(), node: process.version, data }, null, 2),
  );

const engine = await benchEngine();
console.log('\nEngine (in process, real clock, budgets + cache + decision sink on)');
console.table(
  engine.map((r) => ({
    case: r.case,
    'ops/s': r.opsPerSec,
    'µs/op': r.usPerOp.toFixed(2),
    'overhead µs': r.overheadUs.toFixed(2),
    'x baseline': r.ratioToBaseline.toFixed(1),
  })),
);
save('engine', engine);

const server = await benchServer();
const [direct, backstop] = [
  server.latency.find((r) => r.path === 'direct')!,
  server.latency.find((r) => r.path === 'backstop')!,
];
console.log(
  '\nOpenAI-compatible endpoint vs the simulator directly (zero-delay, loopback, PGlite, budgets + decision log on)',
);
console.table(
  server.latency.map((r) => ({ path: r.path, 'median ms': r.medianMs.toFixed(3), 'p99 ms': r.p99Ms.toFixed(3) })),
);
console.log(`added latency at concurrency 1: ${(backstop.medianMs - direct.medianMs).toFixed(3)} ms p50`);
console.table(
  server.throughput.map((r) => ({
    path: r.path,
    concurrency: r.concurrency,
    'req/s': r.rps,
    'p50 ms': r.p50Ms.toFixed(2),
    'p99 ms': r.p99Ms.toFixed(2),
    errors: r.errors,
  })),
);
console.log(`RSS after load: ${server.rssMb} MB`);
save('server', server);
