import { z } from 'zod';

/** Quality classes, best first. A sensitive request may only move between routes of its primary's class or better. */
export const QUALITY_CLASSES = ['premium', 'standard', 'budget'] as const;
export const QualityClassSchema = z.enum(QUALITY_CLASSES);
export type QualityClass = z.infer<typeof QualityClassSchema>;

/** Price in USD per million tokens. */
export const PriceSchema = z.object({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
});
export type Price = z.infer<typeof PriceSchema>;

/** One provider + model + params that a tier can send a request to. */
export const RouteSpecSchema = z.object({
  id: z
    .string()
    .min(1)
    .regex(/^[a-zA-Z0-9._:/-]+$/, 'route ids use letters, digits and . _ : / -'),
  provider: z.string().min(1),
  model: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
  qualityClass: QualityClassSchema.default('standard'),
  price: PriceSchema.default({ inputPerMTok: 0, outputPerMTok: 0 }),
  /** Context window, in tokens. */
  contextWindow: z.number().int().positive().default(128_000),
  /** Latency objective for the breaker: p95 above this opens it. In milliseconds; unset means no latency trip. */
  sloP95Ms: z.number().positive().optional(),
  /** Weight for the weighted strategy. Defaults to 1. */
  weight: z.number().nonnegative().default(1),
});
export type RouteSpec = z.infer<typeof RouteSpecSchema>;
export type RouteSpecInput = z.input<typeof RouteSpecSchema>;
