import { mkdirSync, writeFileSync } from 'node:fs';
import { benchEngine } from './engine.bench.js';

// Each benchmark prints its table and writes JSON under bench/results/ (git-ignored).
const rows = await benchEngine();
console.log('\nEngine (in process, real clock, budgets + cache + decision sink on)');
console.table(
  rows.map((r) => ({
    case: r.case,
    'ops/s': r.opsPerSec,
    'µs/op': r.usPerOp.toFixed(2),
    'overhead µs': r.overheadUs.toFixed(2),
    'x baseline': r.ratioToBaseline.toFixed(1),
  })),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/engine.json',
  JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2),
);
