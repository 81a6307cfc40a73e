import { z } from 'zod';

/** HTTP statuses the simulator can answer with on purpose. */
export const SIMULATED_ERROR_STATUSES = ['429', '500', '503', '529'] as const;
export type SimulatedErrorStatus = (typeof SIMULATED_ERROR_STATUSES)[number];

/** A probability in [0, 1]. */
const rate = z.number().min(0, 'must be at least 0').max(1, 'must be at most 1');
const ms = z.number().nonnegative().max(600_000);
const chunks = z.number().int().nonnegative().max(1_000_000);

/** How long the simulator waits before the first byte, in milliseconds. */
export const LatencySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms }).strict(),
  z
    .object({ kind: z.literal('uniform'), minMs: ms, maxMs: ms })
    .strict()
    .refine((l) => l.maxMs >= l.minMs, { message: 'must be at least minMs', path: ['maxMs'] }),
  // Clamped at 0: a normal draw can be negative.
  z.object({ kind: z.literal('normal'), meanMs: ms, stddevMs: ms }).strict(),
]);
export type Latency = z.infer<typeof LatencySchema>;

/** A window, in epoch milliseconds (`startMs` inclusive, `endMs` exclusive), in which every request gets a 503. */
export const OutageWindowSchema = z
  .object({ startMs: z.number().int().nonnegative(), endMs: z.number().int().nonnegative() })
  .strict()
  .refine((w) => w.endMs > w.startMs, { message: 'must be after startMs', path: ['endMs'] });
export type OutageWindow = z.infer<typeof OutageWindowSchema>;

/**
 * The per-request rate fields besides `errorRates`. All rates together may not exceed 1, because one uniform draw
 * per request picks at most one fault; whatever is left is the chance of a healthy answer.
 */
export const FAULT_RATE_FIELDS = [
  'hangRate',
  'resetRate',
  'malformedRate',
  'emptyRate',
  'lowQualityRate',
  'contentFilterRate',
] as const;

/**
 * How one simulated model misbehaves. Every field is optional and a missing field means "never": the healthy
 * profile is `{}` (no errors, no latency, complete streams).
 * @example { errorRates: { '429': 0.3 }, retryAfterSeconds: 2, latency: { kind: 'uniform', minMs: 5, maxMs: 20 } }
 */
export const FaultProfileSchema = z
  .object({
    /** Chance of answering with each HTTP status (429, 500, 503, 529) in the provider's error envelope. Defaults to none. */
    errorRates: z
      .object({ '429': rate.optional(), '500': rate.optional(), '503': rate.optional(), '529': rate.optional() })
      .strict()
      .optional(),
    /** `Retry-After` sent with a 429, in seconds. Defaults to 1. */
    retryAfterSeconds: z.number().int().nonnegative().max(86_400).optional(),
    /** Time to first byte. Defaults to none (answer at once). */
    latency: LatencySchema.optional(),
    /** Chance of never answering, until the client gives up. Defaults to 0. */
    hangRate: rate.optional(),
    /** Chance of resetting the connection (TCP RST) before any byte is sent. Defaults to 0. */
    resetRate: rate.optional(),
    /** Cut the connection of every streamed answer after this many content chunks. Defaults to never. */
    streamDropAfterChunks: chunks.optional(),
    /** Send a provider error event in every streamed answer after this many content chunks. Defaults to never. */
    streamErrorAfterChunks: chunks.optional(),
    /** Chance of an HTTP 200 whose body is not valid JSON. Defaults to 0. */
    malformedRate: rate.optional(),
    /** Chance of an answer with empty content. Defaults to 0. */
    emptyRate: rate.optional(),
    /** Chance of an apologetic answer cut short ("I'm sorry, I can't help with that.", finish `length`). Defaults to 0. */
    lowQualityRate: rate.optional(),
    /** Chance of a blocked answer (OpenAI finish `content_filter`, Anthropic stop `refusal`). Defaults to 0. */
    contentFilterRate: rate.optional(),
    /** Windows in which every request gets a 503, whatever the rates say. Defaults to none. */
    outages: z.array(OutageWindowSchema).max(1_000).optional(),
    /** Pause between streamed content chunks, in milliseconds. Defaults to 0. */
    chunkDelayMs: ms.optional(),
  })
  .strict()
  .superRefine((profile, ctx) => {
    const total = totalFaultRate(profile);
    // A little slack so that 0.1 + 0.2 + 0.7 still passes.
    if (total > 1 + 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['errorRates'],
        message: `rates add up to ${Number(total.toFixed(6))}; together they must be at most 1`,
      });
    }
  });
export type FaultProfile = z.infer<typeof FaultProfileSchema>;

/** Sum of every per-request fault probability in a profile (0 for a healthy one). */
export function totalFaultRate(profile: FaultProfile): number {
  const statuses = SIMULATED_ERROR_STATUSES.reduce((sum, s) => sum + (profile.errorRates?.[s] ?? 0), 0);
  return FAULT_RATE_FIELDS.reduce((sum, field) => sum + (profile[field] ?? 0), statuses);
}
