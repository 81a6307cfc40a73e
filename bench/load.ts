import { Pool } from 'undici';
import { median, quantile } from './stats.js';

/** The prompt of every bench request. */
export const PROMPT = 'What is the capital of France?';

/** One HTTP call the load generator makes, again and again. */
export interface RequestSpec {
  path: string;
  headers?: Record<string, string>;
  /** JSON body, serialized once. */
  body: string;
  /** Whether a 200 answer really succeeded (e.g. a GraphQL body without `errors`). Defaults to any 200. */
  accept?: (text: string) => boolean;
}

/** A timed call: `ms` from sending to the last byte (or to the first token, for `firstToken`). */
export interface Sample {
  ms: number;
  ok: boolean;
}

/** A keep-alive connection pool to one origin; 128 connections cover the highest concurrency of the bench. */
export const createPool = (origin: string, connections = 128): Pool => new Pool(origin, { connections });

/** An OpenAI chat completion request to `/v1/chat/completions`. */
export function chatRequest(model: string, options: { key?: string; stream?: boolean } = {}): RequestSpec {
  return {
    path: '/v1/chat/completions',
    headers: {
      'content-type': 'application/json',
      ...(options.key && { authorization: `Bearer ${options.key}` }),
    },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: PROMPT }],
      ...(options.stream && { stream: true }),
    }),
  };
}

/** The GraphQL `complete` mutation for a critical request. */
export function graphqlCompleteRequest(key: string): RequestSpec {
  return {
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      query: `mutation ($input: CompleteInput!) { complete(input: $input) { content decisionId } }`,
      variables: { input: { trafficClass: 'critical', messages: [{ role: 'user', content: PROMPT }] } },
    }),
    accept: (text) => !text.includes('"errors"'),
  };
}

/** Sends one request and reads the whole answer. Never throws: a network error is a failed sample. */
export async function send(pool: Pool, spec: RequestSpec): Promise<Sample & { headers?: Record<string, unknown> }> {
  const started = performance.now();
  try {
    const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body: spec.body });
    const text = await res.body.text();
    const ok = res.statusCode === 200 && (spec.accept?.(text) ?? true);
    return { ms: performance.now() - started, ok, headers: res.headers };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}

// The first SSE chunk that carries text: a content delta that is not empty.
const FIRST_TOKEN = /"content":"[^"]/;

/** Sends a streamed request; `ms` is the time to the first text chunk. The rest of the stream is read and dropped. */
export async function firstToken(pool: Pool, spec: RequestSpec): Promise<Sample> {
  const started = performance.now();
  try {
    const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body: spec.body });
    let seen = '';
    let ms = NaN;
    for await (const chunk of res.body) {
      if (Number.isNaN(ms)) {
        seen += (chunk as Buffer).toString();
        if (FIRST_TOKEN.test(seen)) ms = performance.now() - started;
      }
    }
    return { ms, ok: res.statusCode === 200 && !Number.isNaN(ms) };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}

/** What a closed loop of `concurrency` callers achieved. */
export interface LoadResult {
  concurrency: number;
  seconds: number;
  ok: number;
  errors: number;
  /** Successful requests per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs `concurrency` callers, each sending the next request as soon as the previous one is answered, for `seconds`.
 * Requests still in flight at the end finish but are not counted beyond the window's successes and errors.
 */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  call: () => Promise<Sample>,
  onTick?: () => void,
): Promise<LoadResult> {
  const started = performance.now();
  const end = started + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  const ticker = onTick ? setInterval(onTick, 200) : undefined;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const sample = await call();
          if (sample.ok) latencies.push(sample.ms);
          else errors++;
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    concurrency,
    seconds: elapsed,
    ok: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

/** Sends `total` requests with `concurrency` callers and returns how many failed. */
export async function repeat(total: number, concurrency: number, call: () => Promise<Sample>): Promise<number> {
  let started = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (started < total) {
        started++;
        if (!(await call()).ok) errors++;
      }
    }),
  );
  return errors;
}

/** Samples of one case over interleaved rounds. */
export interface RoundSamples {
  /** The median of each round. */
  roundMedians: number[];
  /** Every successful sample. */
  samples: number[];
  errors: number;
}

/**
 * Calls each case `perRound` times per round at concurrency 1 (at most `maxSecondsPerCase` each), rotating the order
 * of the cases every round so that drift (GC, CPU frequency, neighbours) hits every case alike.
 */
export async function interleavedRounds<K extends string>(
  cases: Record<K, () => Promise<Sample>>,
  options: { rounds: number; perRound: number; maxSecondsPerCase: number },
): Promise<Record<K, RoundSamples>> {
  const names = Object.keys(cases) as K[];
  const empty = (): RoundSamples => ({ roundMedians: [], samples: [], errors: 0 });
  const out = Object.fromEntries(names.map((n) => [n, empty()])) as Record<K, RoundSamples>;
  for (let r = 0; r < options.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) {
      const xs: number[] = [];
      const end = performance.now() + options.maxSecondsPerCase * 1000;
      for (let i = 0; i < options.perRound && performance.now() < end; i++) {
        const sample = await cases[name]();
        if (sample.ok) xs.push(sample.ms);
        else out[name].errors++;
      }
      if (xs.length > 0) out[name].roundMedians.push(median(xs));
      out[name].samples.push(...xs);
    }
  }
  return out;
}
