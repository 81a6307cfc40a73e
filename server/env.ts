import { z } from 'zod';

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Postgres URL; unset means embedded PGlite under BACKSTOP_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  BACKSTOP_DATA_DIR: z.string().min(1).default('./.backstop'),
  REDIS_URL: z.string().url().optional(),
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. Defaults to `backstop:`. */
  BACKSTOP_REDIS_PREFIX: z.string().min(1).max(64).default('backstop:'),
  /** Providers/routes/policy file; unset means the simulator demo config. */
  BACKSTOP_CONFIG: z.string().min(1).optional(),
  /** Bootstrap admin key; when unset, the first start makes one and prints it once. */
  BACKSTOP_ADMIN_KEY: z.string().min(20).optional(),
  /** Largest accepted request body, in bytes. Defaults to 1 MiB. */
  BACKSTOP_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** `true` serves GET /metrics without a key (for a scraper on a private network); otherwise a staff key is needed. */
  BACKSTOP_METRICS_PUBLIC: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** OTLP/HTTP traces endpoint; unset means tracing is off (and costs nothing). */
  BACKSTOP_OTEL_ENDPOINT: z.string().url().optional(),
  /** Time between two evaluations of the alert rules, in milliseconds. Defaults to 15 000. */
  BACKSTOP_ALERT_EVALUATE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(15_000),
  /** Alert webhook URLs (Slack-compatible), comma-separated. */
  BACKSTOP_ALERT_WEBHOOKS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url())),
  /** How long a decision row may wait in memory (and the journal) before its batch is written, in ms. Longer
   * batches cost far less per row, and the journal keeps waiting rows safe from a kill. */
  BACKSTOP_DECISION_FLUSH_MS: z.coerce.number().int().min(1).max(600_000).default(1_000),
  /** How far V8 lets the old generation grow past what a full GC left live, in percent; 0 keeps V8's own factor. */
  BACKSTOP_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(400).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Env = z.infer<typeof EnvSchema>;

/** Parses the environment, failing fast with every problem named. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // An empty variable (`DATABASE_URL=` in an env file) means unset, not an invalid value.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
