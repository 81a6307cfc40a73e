import type { FaultProfile, Latency } from '../../../shared/contracts/fault-profile.js';
import { SIMULATED_ERROR_STATUSES } from '../../../shared/contracts/fault-profile.js';
import type { Random } from '../../../shared/engine/ports.js';
import { createSeededRandom } from '../../../shared/testing/seeded-random.js';

/** What the simulator did with one request; `stats()` counts these per model. */
export type SimOutcome =
  | 'ok'
  | 'outage'
  | 'hang'
  | 'reset'
  | 'status_429'
  | 'status_500'
  | 'status_503'
  | 'status_529'
  | 'malformed'
  | 'empty'
  | 'low_quality'
  | 'content_filter'
  | 'stream_drop'
  | 'stream_error'
  | 'bad_request';

/** Outcomes that produce a (possibly odd) answer rather than an error or a broken connection. */
export type AnswerOutcome = 'ok' | 'empty' | 'low_quality' | 'content_filter';

/** Per-model random streams: outcomes and latencies draw from separate ones so a latency change keeps the outcome sequence. */
export interface ModelRandoms {
  outcome: Random;
  latency: Random;
}

/** FNV-1a, 32 bits: a stable number for a model name so each model gets its own seeded stream. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The random streams of `model` under `seed`: the same pair always replays the same draws. */
export function createModelRandoms(seed: number, model: string): ModelRandoms {
  return {
    outcome: createSeededRandom((seed ^ hashString(model)) >>> 0),
    latency: createSeededRandom((seed ^ hashString(`${model}#latency`)) >>> 0),
  };
}

/** True when `nowMs` (epoch milliseconds) falls in one of the profile's outage windows. */
export function isInOutage(profile: FaultProfile, nowMs: number): boolean {
  return (profile.outages ?? []).some((w) => nowMs >= w.startMs && nowMs < w.endMs);
}

/**
 * Picks the outcome of one request. Exactly one draw is taken from `random` per call, outage or not, so the
 * sequence of outcomes for a seed does not depend on when outages happen. Stream faults apply only to
 * healthy streamed answers; `streamErrorAfterChunks` wins when both are set.
 */
export function decideOutcome(profile: FaultProfile, random: Random, nowMs: number, stream: boolean): SimOutcome {
  const draw = random();
  if (isInOutage(profile, nowMs)) return 'outage';
  const table: [SimOutcome, number | undefined][] = [
    ['hang', profile.hangRate],
    ['reset', profile.resetRate],
    ...SIMULATED_ERROR_STATUSES.map((s): [SimOutcome, number | undefined] => [`status_${s}`, profile.errorRates?.[s]]),
    ['malformed', profile.malformedRate],
    ['empty', profile.emptyRate],
    ['low_quality', profile.lowQualityRate],
    ['content_filter', profile.contentFilterRate],
  ];
  let edge = 0;
  for (const [outcome, p] of table) {
    edge += p ?? 0;
    if (draw < edge) return outcome;
  }
  if (stream && profile.streamErrorAfterChunks !== undefined) return 'stream_error';
  if (stream && profile.streamDropAfterChunks !== undefined) return 'stream_drop';
  return 'ok';
}

/** One latency sample, in milliseconds (0 without a latency setting); `normal` uses Box-Muller and clamps at 0. */
export function sampleLatencyMs(latency: Latency | undefined, random: Random): number {
  if (!latency) return 0;
  switch (latency.kind) {
    case 'fixed':
      return latency.ms;
    case 'uniform':
      return latency.minMs + random() * (latency.maxMs - latency.minMs);
    case 'normal': {
      // 1 - u keeps the log argument in (0, 1].
      const u = 1 - random();
      const v = random();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, latency.meanMs + z * latency.stddevMs);
    }
  }
}

/** The HTTP status of an error outcome, or undefined for outcomes that are not an error response. */
export function statusOf(outcome: SimOutcome): number | undefined {
  if (outcome === 'outage') return 503;
  const match = /^status_(\d{3})$/.exec(outcome);
  return match ? Number(match[1]) : undefined;
}
