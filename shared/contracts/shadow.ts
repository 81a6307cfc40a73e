import { z } from 'zod';
import type { FailureKind } from './decision.js';
import { TrafficClassSchema, type TrafficClass } from './policy.js';

/** Per-call timeout of a mirrored call when none is given, in milliseconds. */
export const DEFAULT_SHADOW_TIMEOUT_MS = 10_000;
/** The longest per-call timeout a shadow may ask for, in milliseconds. */
export const MAX_SHADOW_TIMEOUT_MS = 60_000;
// numeric(18, 9) holds less than a billion dollars.
const MAX_USD = 999_999_999;

/**
 * What starting a shadow route takes. No `tenantId`: the shadow mirrors every tenant (global scope); no
 * `trafficClass`: every class of the scope. Whether `routeId` is in the catalogue is checked by the server.
 */
export const StartShadowInputSchema = z
  .object({
    tenantId: z.string().min(1).nullish(),
    trafficClass: TrafficClassSchema.nullish(),
    routeId: z.string().min(1, 'pick a route'),
    /** Share of eligible requests mirrored, 0 < rate <= 1. */
    sampleRate: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
    /** Per-call timeout of the mirrored call, in milliseconds. Defaults to 10 000; at most 60 000. */
    timeoutMs: z
      .number()
      .int()
      .min(1, 'must be at least 1 ms')
      .max(MAX_SHADOW_TIMEOUT_MS, `must be at most ${MAX_SHADOW_TIMEOUT_MS} ms`)
      .default(DEFAULT_SHADOW_TIMEOUT_MS),
    /** The shadow budget, in USD: mirrored calls stop before they would pass it. */
    budgetUsd: z.number().gt(0, 'must be above 0').max(MAX_USD),
  })
  .strict();
export type StartShadowInput = z.infer<typeof StartShadowInputSchema>;
export type StartShadowInputRaw = z.input<typeof StartShadowInputSchema>;

/** The schema with the one check only the server can make: the route must be in its catalogue. */
export function startShadowInputSchema(routeIds: { has(id: string): boolean }) {
  return StartShadowInputSchema.refine((input) => routeIds.has(input.routeId), {
    message: 'unknown route',
    path: ['routeId'],
  });
}

export const SHADOW_STATUSES = ['running', 'stopped'] as const;
export type ShadowStatus = (typeof SHADOW_STATUSES)[number];

/** How one mirrored request went on the candidate route; `skipped_budget`: no call, the shadow budget was spent. */
export const SHADOW_OUTCOMES = ['success', 'failure', 'skipped_budget'] as const;
export type ShadowOutcome = (typeof SHADOW_OUTCOMES)[number];

/** One shadow route and its budget. Amounts in USD. */
export interface ShadowRoute {
  id: string;
  /** `global` or a tenant id. */
  scope: string;
  trafficClass: TrafficClass | null;
  routeId: string;
  sampleRate: number;
  timeoutMs: number;
  budgetUsd: number;
  spentUsd: number;
  /** Held by mirrored calls in flight. */
  reservedUsd: number;
  status: ShadowStatus;
  /** The API key id that started it. */
  createdBy: string;
  createdAt: Date;
  stoppedAt: Date | null;
}

/** One side (serving or shadow) over the same mirrored requests. Latency in milliseconds, cost in USD. */
export interface ShadowSideStats {
  calls: number;
  /** Failed calls / calls; null without calls. */
  errorRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  avgCostUsd: number | null;
  totalCostUsd: number;
  /** Answers checked against the request's response schema (requests with one, and an answer). */
  schemaChecked: number;
  /** Share of the checked answers that matched the schema; null when none was checked. */
  schemaPassRate: number | null;
}

/** Failed mirrored calls of one failure kind. */
export interface ShadowFailureCount {
  kind: FailureKind;
  calls: number;
}

/** The serving route next to the candidate, over every request mirrored to it (skipped ones left out). */
export interface ShadowComparison {
  shadowId: string;
  serving: ShadowSideStats;
  shadow: ShadowSideStats;
  shadowFailures: ShadowFailureCount[];
  /** Sampled requests not mirrored because the shadow budget had nothing left for them. */
  skippedBudget: number;
}
