import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import type { PolicySchema } from '../shared/contracts/policy.js';
import { PriceSchema, RouteSpecSchema } from '../shared/contracts/route.js';
import { DEFAULT_ROUTES } from '../shared/engine/default-routes.js';
import { DEFAULT_POLICY, validatePolicy, createRouteCatalog } from '../shared/engine/policy-matrix.js';
import { priceFor } from './providers/prices.js';

/** OpenAI-compatible upstreams by name, so a config only says `preset: groq`. */
export const OPENAI_COMPATIBLE_PRESETS = {
  openai: 'https://api.openai.com/v1',
  groq: 'https://api.groq.com/openai/v1',
  together: 'https://api.together.xyz/v1',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com/v1',
  fireworks: 'https://api.fireworks.ai/inference/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  vllm: 'http://127.0.0.1:8000/v1',
  ollama: 'http://127.0.0.1:11434/v1',
} as const;

const headers = z.record(z.string(), z.string()).optional();

export const ProviderConfigSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('openai'),
    preset: z.enum(Object.keys(OPENAI_COMPATIBLE_PRESETS) as [keyof typeof OPENAI_COMPATIBLE_PRESETS]).optional(),
    baseUrl: z.url().optional(),
    apiKey: z.string().optional(),
    auth: z.enum(['bearer', 'api-key', 'none']).optional(),
    azure: z.object({ apiVersion: z.string().min(1) }).optional(),
    headers,
  }),
  z.object({
    kind: z.literal('anthropic'),
    baseUrl: z.url().default('https://api.anthropic.com'),
    apiKey: z.string().min(1),
    version: z.string().optional(),
    headers,
  }),
  z.object({
    kind: z.literal('gemini'),
    baseUrl: z.url().default('https://generativelanguage.googleapis.com'),
    apiKey: z.string().min(1),
    headers,
  }),
  /** The built-in fault-injecting simulator, started in process and spoken to over loopback HTTP. */
  z.object({ kind: z.literal('simulator'), format: z.enum(['openai', 'anthropic']).default('openai') }),
]);
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

/** Limits per minute for one tenant, API key or route; an absent field means no limit on it. */
export const RateLimitSettingsSchema = z.strictObject({
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
});

/**
 * Rate limits from the config file, by tenant id, API key id and route id. `defaultTenant` applies to every tenant
 * without an entry of its own. Limits set at runtime (GraphQL `setRateLimit`) replace an entry.
 */
export const RateLimitsConfigSchema = z.strictObject({
  tenants: z.record(z.string().min(1), RateLimitSettingsSchema).default({}),
  keys: z.record(z.string().min(1), RateLimitSettingsSchema).default({}),
  routes: z.record(z.string().min(1), RateLimitSettingsSchema).default({}),
  defaultTenant: RateLimitSettingsSchema.optional(),
});
export type RateLimitsConfig = z.infer<typeof RateLimitsConfigSchema>;

export const ConfigSchema = z.object({
  providers: z.record(z.string().min(1), ProviderConfigSchema),
  routes: z.array(RouteSpecSchema.extend({ price: PriceSchema.optional() })).min(1),
  /** The default policy; the built-in matrix when absent. */
  policy: z.unknown().optional(),
  /** Price overrides by model, USD per million tokens. */
  prices: z.record(z.string(), PriceSchema).default({}),
  simulator: z.object({ seed: z.number().int().default(1) }).default({ seed: 1 }),
  rateLimits: RateLimitsConfigSchema.default({ tenants: {}, keys: {}, routes: {} }),
});

/** A validated configuration: routes priced, policy checked against them. */
export interface BackstopConfig {
  providers: Record<string, ProviderConfig>;
  routes: ReturnType<typeof createRouteCatalog>;
  policy: z.infer<typeof PolicySchema>;
  simulator: { seed: number };
  /** Requests and tokens per minute by tenant, API key and route; empty means unlimited. */
  rateLimits: RateLimitsConfig;
  /** Values that must never be logged (resolved `${ENV}` secrets). */
  secrets: string[];
}

/** Thrown when the config file cannot be read, parsed or validated; the message names the line and field. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; line?: number; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses a YAML or JSON config text (JSON is YAML), resolving `${ENV}` references from `env`.
 * @example parseConfig(await readFile('backstop.yaml', 'utf8'), process.env)
 */
export function parseConfig(text: string, env: Record<string, string | undefined>, source = 'config'): BackstopConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${source}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (path: PropertyKey[]) => {
    const node = doc.getIn(path.map(String), true) as YamlNode | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  const secrets: string[] = [];
  const missing: { path: string; line?: number; message: string }[] = [];
  const resolved = substitute(doc.toJS(), [], env, secrets, missing, lineOf);
  if (missing.length) throw issuesError(source, missing);

  const parsed = ConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    throw issuesError(
      source,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), line: lineOf(i.path), message: i.message })),
    );
  }
  const cfg = parsed.data;
  const unknownProviders = cfg.routes.flatMap((r, i) =>
    cfg.providers[r.provider]
      ? []
      : [
          {
            path: `routes.${i}.provider`,
            line: lineOf(['routes', i, 'provider']),
            message: `unknown provider "${r.provider}"`,
          },
        ],
  );
  if (unknownProviders.length) throw issuesError(source, unknownProviders);
  const routeIds = new Set(cfg.routes.map((r) => r.id));
  const unknownLimitedRoutes = Object.keys(cfg.rateLimits.routes)
    .filter((id) => !routeIds.has(id))
    .map((id) => ({
      path: `rateLimits.routes.${id}`,
      line: lineOf(['rateLimits', 'routes', id]),
      message: `unknown route "${id}"`,
    }));
  if (unknownLimitedRoutes.length) throw issuesError(source, unknownLimitedRoutes);
  const routes = createRouteCatalog(
    cfg.routes.map((r) => ({
      ...r,
      price: r.price ?? priceFor(r.model, cfg.prices) ?? { inputPerMTok: 0, outputPerMTok: 0 },
    })),
  );
  const policy = validatePolicy(cfg.policy ?? DEFAULT_POLICY, routes);
  if (!policy.ok) {
    throw issuesError(
      source,
      policy.issues.map((i) => ({
        path: `policy.${i.path}`,
        line: lineOf(['policy', ...i.path.split('.')]),
        message: i.message,
      })),
    );
  }
  return {
    providers: cfg.providers,
    routes,
    policy: policy.policy,
    simulator: cfg.simulator,
    rateLimits: cfg.rateLimits,
    secrets,
  };
}

/** Reads the config file at `path`, or the simulator demo config when `path` is undefined. */
export async function loadConfig(
  path: string | undefined,
  env: Record<string, string | undefined>,
): Promise<BackstopConfig> {
  if (!path) return demoConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  return parseConfig(text, env, path);
}

/**
 * The demo: every provider of the default route catalogue is the built-in simulator (OpenAI and Anthropic wire
 * formats over loopback), so a newcomer sees fallbacks without any API key.
 */
export function demoConfig(): BackstopConfig {
  const routes = createRouteCatalog(DEFAULT_ROUTES);
  const policy = validatePolicy(DEFAULT_POLICY, routes);
  if (!policy.ok) throw new ConfigError('the built-in policy is invalid', policy.issues);
  return {
    providers: {
      openai: { kind: 'simulator', format: 'openai' },
      anthropic: { kind: 'simulator', format: 'anthropic' },
      google: { kind: 'simulator', format: 'openai' },
    },
    routes,
    policy: policy.policy,
    simulator: { seed: 1 },
    rateLimits: { tenants: {}, keys: {}, routes: {} },
    secrets: [],
  };
}

const ENV_REF = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

function substitute(
  value: unknown,
  path: (string | number)[],
  env: Record<string, string | undefined>,
  secrets: string[],
  missing: { path: string; line?: number; message: string }[],
  lineOf: (p: PropertyKey[]) => number | undefined,
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string, fallback: string | undefined) => {
      const v = env[name] ?? fallback;
      if (v === undefined) {
        missing.push({ path: path.join('.'), line: lineOf(path), message: `environment variable ${name} is not set` });
        return '';
      }
      if (env[name] !== undefined) secrets.push(v);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, [...path, i], env, secrets, missing, lineOf));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, [...path, k], env, secrets, missing, lineOf)]),
    );
  }
  return value;
}

function issuesError(source: string, issues: { path: string; line?: number; message: string }[]): ConfigError {
  const lines = issues.map((i) => `${source}${i.line ? `:${i.line}` : ''}: ${i.path || '(root)'}: ${i.message}`);
  return new ConfigError(`invalid config:\n  ${lines.join('\n  ')}`, issues);
}
