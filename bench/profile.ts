import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { bundleSourceOf, summarizeProfile, type CpuProfile, type ProfileRow } from './cpu-profile.js';
import { connectInspector, inspectorUrl } from './inspector.js';
import { closedLoop, createPool, send } from './load.js';
import { LOAD_TARGET_OPTIONS, loadTarget, openTargetDatabase, targetRequest } from './load-target.js';
import { benchBuild } from './processes.js';
import { printTable } from './report.js';
import { startStack } from './stack.js';

// `npm run bench:profile`: a CPU profile of the gateway process under closed-loop load, taken through the inspector
// for the measured window only (no startup, no warm-up), written to bench/results/ for Chrome DevTools and summarized
// by source file through the bundle's source map. The tool for the "profile and fix the hot path".
const { values: args } = parseArgs({
  options: {
    ...LOAD_TARGET_OPTIONS,
    seconds: { type: 'string', default: '8' },
    top: { type: 'string', default: '25' },
    'interval-us': { type: 'string', default: '250' },
  },
});
const target = loadTarget(args, 'npm run bench:profile -- [--seconds S] [--top N] [--interval-us N]');
const { concurrency } = target;
const seconds = Number(args.seconds);
const top = Number(args.top);

const database = await openTargetDatabase(target);
const stack = await startStack(database, { zeroDelay: true }, { nodeArgs: ['--inspect=127.0.0.1:0'] });
const session = await connectInspector(await inspectorUrl(stack.backstop.handle));
try {
  const pool = createPool(stack.backstop.url);
  const spec = targetRequest(target, stack.key);
  await closedLoop(concurrency, 3, () => send(pool, spec));
  await stack.settle(5_000);

  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: Number(args['interval-us']) });
  await session.call('Profiler.start');
  const cpuBefore = stack.backstop.handle.cpuMs();
  const load = await closedLoop(concurrency, seconds, () => send(pool, spec));
  const cpuUs = ((stack.backstop.handle.cpuMs() - cpuBefore) * 1000) / load.ok;
  const { profile } = await session.call<{ profile: CpuProfile }>('Profiler.stop');

  const results = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(results, { recursive: true });
  const file = `${results}backstop-${target.db}-${target.endpoint}-c${concurrency}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));

  const summary = summarizeProfile(profile, bundleSourceOf(await benchBuild()), load.ok);
  const table = (rows: ProfileRow[]) =>
    rows.slice(0, top).map((r) => ({
      name: r.name,
      'self ms': Math.round(r.ms),
      '% of busy': r.busyPct.toFixed(1),
      'µs/req': r.usPerRequest.toFixed(1),
    }));
  const busyUsPerRequest = (summary.busyMs * 1000) / load.ok;
  console.log(
    `\n${target.endpoint} on ${target.db}, c=${concurrency}, ${seconds} s: ${Math.round(load.rps)} req/s ` +
      `(p50 ${load.p50Ms.toFixed(2)} ms, ${load.errors} errors); gateway CPU ${Math.round(cpuUs)} µs/req (/proc); ` +
      `profile busy ${Math.round(summary.busyMs)} of ${Math.round(summary.wallMs)} ms, ${Math.round(busyUsPerRequest)} µs/req`,
  );
  console.log(
    'Wall-clock samples of the main thread: a syscall that wakes another process (writev to a socket) also carries ' +
      'the time the kernel gave that process; GC helper threads are not sampled.',
  );
  printTable('Self time by source (bundle frames mapped to repository files)', table(summary.bySource));
  printTable('Self time by function', table(summary.byFunction));
  console.log(`\nProfile: ${file} (open in Chrome DevTools > Performance, or VS Code)`);
} finally {
  session.close();
  await stack.stop();
  await database.drop();
}
