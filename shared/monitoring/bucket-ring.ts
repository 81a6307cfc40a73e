import { FAILURE_KINDS, type FailureKind } from '../contracts/decision.js';
import { LATENCY_BOUNDS_MS } from '../engine/circuit-breaker.js';

// Offsets into one bucket's Float64Array. One flat typed array per bucket keeps it near 400 bytes with no per-field
// objects, which is what makes "every route x 360 buckets" affordable.
export const REQUESTS = 0;
export const SUCCESSES = 1;
export const FALLBACKS = 2;
export const CALLS = 3;
export const HEALTH_FAILURES = 4;
export const TOKENS_IN = 5;
export const TOKENS_OUT = 6;
export const COST_USD = 7;
export const ERRORS_AT = 8;
export const LATENCY_AT = ERRORS_AT + FAILURE_KINDS.length;
/** Numbers held by one bucket: counters, failures per kind, then the latency histogram over `LATENCY_BOUNDS_MS`. */
export const BUCKET_WIDTH = LATENCY_AT + LATENCY_BOUNDS_MS.length + 1;

const KIND_INDEX = new Map<FailureKind, number>(FAILURE_KINDS.map((kind, i) => [kind, i]));

/** Adds `n` at `offset` of a bucket. */
export function bump(bucket: Float64Array, offset: number, n = 1): void {
  bucket[offset] = (bucket[offset] ?? 0) + n;
}

/** Counts one failure of `kind`. */
export function bumpError(bucket: Float64Array, kind: FailureKind): void {
  bump(bucket, ERRORS_AT + (KIND_INDEX.get(kind) ?? KIND_INDEX.get('unknown')!));
}

/** Counts one latency, in milliseconds, in the histogram slot whose upper bound holds it. */
export function bumpLatency(bucket: Float64Array, latencyMs: number): void {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && latencyMs > LATENCY_BOUNDS_MS[i]!) i++;
  bump(bucket, LATENCY_AT + i);
}

/** The latency histogram of a bucket or of summed totals, in the shape `estimateQuantile` reads. */
export function latencyCounts(totals: Float64Array): number[] {
  return Array.from(totals.subarray(LATENCY_AT, BUCKET_WIDTH));
}

/** Failures per kind of a bucket or of summed totals. */
export function errorsByKind(totals: Float64Array): Record<FailureKind, number> {
  return Object.fromEntries(FAILURE_KINDS.map((kind, i) => [kind, totals[ERRORS_AT + i] ?? 0])) as Record<
    FailureKind,
    number
  >;
}

/** A fixed ring of time buckets for one series; a bucket is allocated on its first write and reused after. */
export interface BucketRing {
  /** The bucket for time-bucket number `index`, emptied first if it still holds an older index. */
  bucket(index: number): Float64Array;
  /** Adds buckets `first..last` (inclusive, bucket numbers) into `into`; buckets outside the ring read as empty. */
  sumInto(first: number, last: number, into: Float64Array): void;
  /** Buckets allocated so far: at most the ring's length. */
  allocated(): number;
}

/** A ring of `length` buckets: bucket number `i` lives at slot `i % length` until `i + length` overwrites it. */
export function createBucketRing(length: number): BucketRing {
  const indexes = new Float64Array(length).fill(-1);
  const buckets: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(length);
  let allocated = 0;
  return {
    bucket(index) {
      const at = index % length;
      let b = buckets[at];
      if (!b) {
        b = new Float64Array(BUCKET_WIDTH);
        buckets[at] = b;
        allocated++;
      } else if (indexes[at] !== index) {
        b.fill(0);
      }
      indexes[at] = index;
      return b;
    },
    sumInto(first, last, into) {
      for (let index = Math.max(first, last - length + 1); index <= last; index++) {
        const at = index % length;
        const b = buckets[at];
        if (!b || indexes[at] !== index) continue;
        for (let k = 0; k < BUCKET_WIDTH; k++) into[k] = (into[k] ?? 0) + (b[k] ?? 0);
      }
    },
    allocated: () => allocated,
  };
}
