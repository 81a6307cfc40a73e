import type { Pool } from 'undici';
import type { FaultProfile } from '../shared/contracts/fault-profile.js';
import type { SimulatorStats } from '../server/providers/simulator/state.js';
import { DEFAULT_POLICY } from '../shared/engine/policy-matrix.js';
import { chatRequest, createPool, repeat, send, type Sample } from './load.js';
import { verdict, type Verdict } from './report.js';
import { BENCH_TENANT, type BenchStack } from './stack.js';
import { median, round } from './stats.js';

/** The critical class's primary route, and its model on the simulator (the route id is the model name). */
const PRIMARY = 'gpt-4o';
/** The breaker opens above 2% errors over 50+ calls; healthy traffic keeps the window below half of that. */
const MAX_WINDOW_ERROR_RATE = 0.01;
/** Primary tier timeout for the hang case, in milliseconds; the policy's default (20 000) would make a run minutes long. */
export const HANG_TIMEOUT_MS = 1_000;

/** What one failure mode costs a user request, against healthy calls of the same run. */
export interface FailoverRow {
  case: string;
  profile: FaultProfile;
  /** Median of healthy critical calls, in milliseconds. */
  healthyMs: number;
  failingMs: number;
  /** `failingMs - healthyMs`, in milliseconds. */
  addedMs: number;
  /** Slowest failing request minus `healthyMs`, in milliseconds. */
  addedMaxMs: number;
  /** Simulator calls (every model) per user request: the median, or the mean over the block with the breaker open. */
  upstreamCalls: number;
  /** Calls to the failing primary per user request, counted the same way. */
  primaryCalls: number;
  samples: number;
  /** Failing requests that did not get a 200 answer. */
  errors: number;
  /** Calls to the dead route over every sample (breaker-open case only). */
  wastedCalls?: number;
  /** Breaker states of the primary seen after the samples. */
  breaker: string;
  note: string;
  target?: string;
  verdict?: Verdict;
}

export interface FailoverOptions {
  /** User requests measured per case. */
  samples: number;
  /** Primary tier timeout published for the bench tenant during the hang case, in milliseconds. Defaults to 1 000. */
  hangTimeoutMs?: number;
}

/** Target from issue #8 with the breaker open: no call to the dead route, and under 1 ms added. */
export const BREAKER_OPEN_TARGET = { wastedCalls: 0, addedMs: 1 } as const;

const CLOSED_CASES: { name: string; profile: FaultProfile; failuresPerRequest: number; note: string }[] = [
  {
    name: 'primary 500 at once',
    profile: { errorRates: { '500': 1 } },
    failuresPerRequest: 2,
    note: 'one retry after a backoff, then the fallback',
  },
  {
    name: '429, Retry-After 1 s',
    profile: { errorRates: { '429': 1 }, retryAfterSeconds: 1 },
    failuresPerRequest: 2,
    note: 'waits the Retry-After (under skipToFallbackAboveMs, 2 s), retries, then falls back',
  },
  {
    name: '429, Retry-After 30 s',
    profile: { errorRates: { '429': 1 }, retryAfterSeconds: 30 },
    failuresPerRequest: 1,
    note: 'a wait over skipToFallbackAboveMs goes straight to the fallback',
  },
  {
    name: 'primary hangs until the tier timeout',
    profile: { hangRate: 1 },
    failuresPerRequest: 2,
    note: 'primary tier timeout published for the bench tenant (default 20 000 ms); two timeouts, then the fallback',
  },
];

const callsOf = (before: SimulatorStats, after: SimulatorStats, model?: string) =>
  model ? (after.models[model]?.requests ?? 0) - (before.models[model]?.requests ?? 0) : after.total - before.total;

/**
 * Each failure mode on the critical primary (gpt-4o; fallback claude-sonnet-4), one user request at a time, each
 * paired with the healthy call just before it. The breaker must stay closed for the first four cases, so a burst of
 * healthy traffic before each pair keeps the primary's window under 1% errors (as production traffic would) and the
 * healthy call ends the failure streak. The last case trips the breaker and measures requests while it is open.
 * Leaves the primary's breaker open (30 s cooldown): run it last on a stack.
 */
export async function benchFailover(stack: BenchStack, options: FailoverOptions): Promise<FailoverRow[]> {
  const pool = createPool(stack.backstop.url, 16);
  const spec = chatRequest('critical', { key: stack.key });
  const call = () => send(pool, spec);
  const sim = stack.simulator();
  const rows: FailoverRow[] = [];
  try {
    await repeat(200, 4, call);
    const hangTimeoutMs = options.hangTimeoutMs ?? HANG_TIMEOUT_MS;
    for (const c of CLOSED_CASES) {
      const hang = 'hangRate' in c.profile;
      if (hang) await publishPrimaryTimeout(stack, hangTimeoutMs);
      try {
        const row = await closedCase(stack, pool, call, c, options.samples);
        rows.push(hang ? { ...row, note: `${row.note} (timeout=${hangTimeoutMs} ms)` } : row);
      } finally {
        await sim.clearProfile(PRIMARY);
        if (hang) await publishPrimaryTimeout(stack, undefined);
      }
    }
    rows.push(await breakerOpenCase(stack, call, options.samples));
  } finally {
    await sim.clearProfile(PRIMARY).catch(() => undefined);
    await pool.close();
  }
  return rows;
}

async function closedCase(
  stack: BenchStack,
  pool: Pool,
  call: () => Promise<Sample>,
  c: (typeof CLOSED_CASES)[number],
  samples: number,
): Promise<FailoverRow> {
  const sim = stack.simulator();
  const healthy: number[] = [];
  const failing: number[] = [];
  const upstream: number[] = [];
  const primary: number[] = [];
  const states = new Set<string>();
  let errors = 0;
  for (let i = 0; i < samples; i++) {
    await dilute(stack, pool, c.failuresPerRequest);
    // The same admin round trip as before the failing call, so that both calls start alike. The healthy call also
    // ends any failure streak: the failing request starts from a closed breaker.
    await sim.stats();
    const good = await call();
    await sim.setProfile(PRIMARY, c.profile);
    const before = await sim.stats();
    const bad = await call();
    const after = await sim.stats();
    await sim.clearProfile(PRIMARY);
    if (bad.ok) failing.push(bad.ms);
    else errors++;
    if (good.ok) healthy.push(good.ms);
    upstream.push(callsOf(before, after));
    primary.push(callsOf(before, after, PRIMARY));
    const { state } = await stack.breaker(PRIMARY);
    states.add(state);
    // Samples taken with the breaker open would measure the last case, not this one.
    if (state !== 'closed') break;
  }
  return summarize(c.name, c.profile, healthy, failing, upstream, primary, errors, states, c.note);
}

async function breakerOpenCase(stack: BenchStack, call: () => Promise<Sample>, samples: number): Promise<FailoverRow> {
  const sim = stack.simulator();
  const profile: FaultProfile = { resetRate: 1 };
  // Each request takes milliseconds, so larger blocks cost little and stay well inside the 30 s cooldown (after which
  // a half-open probe would be a deliberate call to the dead route).
  const count = Math.max(20, samples * 5);
  const block = async () => {
    await stack.settle();
    const ok: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = await call();
      if (s.ok) ok.push(s.ms);
    }
    return { ok, errors: count - ok.length };
  };
  // The primary is healthy for the baseline, which therefore comes first, as a block of the same size.
  const healthy = await block();
  await sim.setProfile(PRIMARY, profile);
  for (let i = 0; i < 10 && (await stack.breaker(PRIMARY)).state !== 'open'; i++) await call();
  const states = new Set<string>([(await stack.breaker(PRIMARY)).state]);
  const before = await sim.stats();
  const open = states.has('open') ? await block() : { ok: [], errors: 0 };
  const after = await sim.stats();
  states.add((await stack.breaker(PRIMARY)).state);
  const wasted = callsOf(before, after, PRIMARY);
  const perRequest = (n: number) => round(n / Math.max(1, open.ok.length + open.errors), 3);
  const row = summarize(
    'primary down, breaker open',
    profile,
    healthy.ok,
    open.ok,
    [perRequest(callsOf(before, after))],
    [perRequest(wasted)],
    open.errors,
    states,
    'connection reset on every call; breaker tripped first (baseline: a block of healthy calls just before)',
  );
  return {
    ...row,
    wastedCalls: wasted,
    target: `0 calls to the dead route, < ${BREAKER_OPEN_TARGET.addedMs} ms added`,
    verdict: verdict(
      open.ok.length > 0 && wasted === BREAKER_OPEN_TARGET.wastedCalls && row.addedMs < BREAKER_OPEN_TARGET.addedMs,
    ),
  };
}

/** Sends healthy calls until the primary's window holds at most 1% errors once `expected` more failures land. */
async function dilute(stack: BenchStack, pool: Pool, expected: number): Promise<void> {
  const spec = chatRequest('critical', { key: stack.key });
  for (let pass = 0; pass < 3; pass++) {
    const b = await stack.breaker(PRIMARY);
    const failures = Math.round(b.errorRate * b.requests);
    const needed = Math.ceil((failures + expected) / MAX_WINDOW_ERROR_RATE) - b.requests - expected;
    if (needed <= 0) return;
    await repeat(Math.min(needed, 5_000), 8, () => send(pool, spec));
    // Let the burst's decision rows reach the database, so that the timed calls do not share the loop with them.
    await stack.settle();
  }
}

/** Publishes the default policy for the bench tenant, with the critical primary tier's timeout set (or not). */
async function publishPrimaryTimeout(stack: BenchStack, timeoutMs: number | undefined): Promise<void> {
  const policy = structuredClone(DEFAULT_POLICY) as {
    classes: { critical: { tiers: Record<string, unknown>[] } };
  };
  if (timeoutMs !== undefined) policy.classes.critical.tiers[0]!.timeoutMs = timeoutMs;
  await stack.graphql(
    `mutation ($scope: String!, $document: JSON!) { publishPolicy(scope: $scope, document: $document) { version } }`,
    {
      scope: BENCH_TENANT,
      document: policy,
    },
  );
}

function summarize(
  name: string,
  profile: FaultProfile,
  healthy: number[],
  failing: number[],
  upstream: number[],
  primary: number[],
  errors: number,
  states: Set<string>,
  note: string,
): FailoverRow {
  const healthyMs = median(healthy);
  const failingMs = median(failing);
  return {
    case: name,
    profile,
    healthyMs: round(healthyMs),
    failingMs: round(failingMs),
    addedMs: round(failingMs - healthyMs),
    addedMaxMs: round(Math.max(...failing) - healthyMs),
    upstreamCalls: median(upstream),
    primaryCalls: median(primary),
    samples: failing.length,
    errors,
    breaker: [...states].join(', '),
    note,
  };
}

/** The table rows as printed. */
export function failoverTable(rows: readonly FailoverRow[]) {
  return rows.map((r) => ({
    case: r.case,
    'healthy p50 ms': r.healthyMs,
    'failing p50 ms': r.failingMs,
    'added p50 ms': r.addedMs,
    'added max ms': r.addedMaxMs,
    'upstream calls/req': r.upstreamCalls,
    'primary calls/req': r.primaryCalls,
    samples: r.samples,
    errors: r.errors,
    breaker: r.breaker,
    verdict: r.verdict ?? '',
  }));
}
