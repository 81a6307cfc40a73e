import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildRef } from './ab-ref.js';
import type { BenchDatabase } from './databases.js';
import { closedLoop, createPool, send } from './load.js';
import { LOAD_TARGET_OPTIONS, loadTarget, openTargetDatabase, targetRequest } from './load-target.js';
import { printTable } from './report.js';
import { startStack, type BenchStack } from './stack.js';
import { compareRounds, type AbRound, type RoundSummary } from './ab-rounds.js';

// `npm run bench:ab -- <git ref>`: the working tree (B) against another commit (A), each a gateway process with its own
// simulator and database, in interleaved rounds of closed-loop load whose order alternates, so that a drifting machine
// (runs here vary by 10-30% between minutes) moves both sides alike. Two processes of the same build also differ, by up
// to ~7% for their whole life (an A/A run had one side ahead in 6 of 6 rounds), so the rounds are spread over several
// pairs of fresh processes. Reports each round and the ratio B/A of req/s and of gateway CPU per request. A is built from
// a git worktree of the ref; both run on this checkout's node_modules, so this compares code, not dependency changes.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...LOAD_TARGET_OPTIONS,
    seconds: { type: 'string', default: '5' },
    pairs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
  },
});
const usage = 'npm run bench:ab -- <git ref> [--seconds S] [--pairs N] [--rounds N]';
const target = loadTarget(args, usage);
const ref = positionals[0];
if (!ref) throw new Error(`usage: ${usage}: name the commit to compare with`);
const { concurrency } = target;
const seconds = Number(args.seconds);
const pairs = Number(args.pairs);
const rounds = Number(args.rounds);

const { commit, script, nodeFlags } = await buildRef(ROOT, ref);
// Without declared flags (an old commit), A runs with this checkout's.
const refOptions = { script, ...(nodeFlags && { nodeFlags }) };

/** One pair of fresh gateway processes (A and B, each with its own simulator and database) measured in `rounds`. */
async function measurePair(pair: number): Promise<AbRound[]> {
  const databases: BenchDatabase[] = [];
  const stacks: BenchStack[] = [];
  try {
    // Which side starts first alternates too.
    for (const options of pair % 2 === 0 ? [refOptions, {}] : [{}, refOptions]) {
      const database = await openTargetDatabase(target);
      databases.push(database);
      stacks.push(await startStack(database, { zeroDelay: true }, options));
    }
    if (pair % 2 === 1) stacks.reverse();
    const sides = stacks.map((stack, i) => ({
      name: i === 0 ? ('A' as const) : ('B' as const),
      stack,
      pool: createPool(stack.backstop.url),
      spec: targetRequest(target, stack.key),
    }));
    for (const side of sides) await closedLoop(concurrency, 3, () => send(side.pool, side.spec));

    const results: AbRound[] = [];
    for (let round = 0; round < rounds; round++) {
      const figures: Partial<AbRound> = { pair, order: round % 2 === 0 ? 'AB' : 'BA' };
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        // Each side's decision backlog is written before the other side's cell, not during it.
        for (const s of sides) await s.stack.settle(5_000);
        const { handle } = side.stack.backstop;
        const cpuBefore = handle.cpuMs();
        let peakRssMb = handle.rssMb();
        const load = await closedLoop(
          concurrency,
          seconds,
          () => send(side.pool, side.spec),
          () => (peakRssMb = Math.max(peakRssMb, handle.rssMb())),
        );
        const cpuUs = ((handle.cpuMs() - cpuBefore) * 1000) / load.ok;
        figures[side.name] = { rps: load.rps, p50Ms: load.p50Ms, cpuUs, peakRssMb, errors: load.errors };
      }
      results.push(figures as AbRound);
    }
    return results;
  } finally {
    for (const stack of stacks) await stack.stop();
    for (const database of databases) await database.drop();
  }
}

const results: AbRound[] = [];
for (let pair = 0; pair < pairs; pair++) results.push(...(await measurePair(pair)));
printTable(
  `A = ${ref} (${commit}), B = working tree; ${target.endpoint} on ${target.db}, c=${concurrency}, ${seconds} s cells, ${pairs} pairs of processes`,
  results.map((r) => ({
    pair: r.pair,
    order: r.order,
    'A req/s': Math.round(r.A.rps),
    'B req/s': Math.round(r.B.rps),
    'A CPU µs/req': Math.round(r.A.cpuUs),
    'B CPU µs/req': Math.round(r.B.cpuUs),
    'A p50 ms': r.A.p50Ms.toFixed(2),
    'B p50 ms': r.B.p50Ms.toFixed(2),
    'A max RSS MB': r.A.peakRssMb.toFixed(1),
    'B max RSS MB': r.B.peakRssMb.toFixed(1),
    errors: r.A.errors + r.B.errors,
  })),
);
const summary = compareRounds(results);
const line = (what: string, s: RoundSummary) =>
  `${what}: mean ${s.mean.toFixed(3)} (rounds ${s.min.toFixed(3)}-${s.max.toFixed(3)})`;
console.log(`\nB/A ${line('req/s', summary.rps)}; ${line('CPU per request', summary.cpuUs)}`);
console.log(
  `B better in ${summary.bFaster} of ${results.length} rounds by req/s; ` +
    `max RSS B - A: mean ${summary.peakRssMb.mean.toFixed(1)} MB (rounds ${summary.peakRssMb.min.toFixed(1)} to ${summary.peakRssMb.max.toFixed(1)}).`,
);
