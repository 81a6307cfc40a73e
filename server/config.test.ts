import { describe, expect, it } from 'vitest';
import { ConfigError, demoConfig, parseConfig } from './config.js';

const YAML = `
providers:
  openai:
    kind: openai
    apiKey: \${OPENAI_API_KEY}
  groq:
    kind: openai
    preset: groq
    apiKey: \${GROQ_API_KEY:-none}
  anthropic:
    kind: anthropic
    apiKey: \${ANTHROPIC_API_KEY}
routes:
  - { id: gpt-4o, provider: openai, model: gpt-4o, qualityClass: premium }
  - { id: sonnet, provider: anthropic, model: claude-sonnet-4-20250514, qualityClass: premium }
  - { id: llama, provider: groq, model: llama-3.3-70b-versatile, price: { inputPerMTok: 0.59, outputPerMTok: 0.79 } }
`;

const env = { OPENAI_API_KEY: 'sk-test-openai', ANTHROPIC_API_KEY: 'sk-ant-test' };

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('config file', () => {
  it('resolves ${ENV} references and remembers them as secrets', () => {
    const policy = `policy:\n  version: 3\n  classes:\n${['critical', 'non_critical', 'internal', 'batch', 'experiment']
      .map((c) => `    ${c}: { tiers: [{ kind: routes, routes: [gpt-4o] }, { kind: routes, routes: [sonnet] }] }`)
      .join('\n')}\n`;
    const cfg = parseConfig(YAML + policy, env);
    expect(cfg.providers.openai).toMatchObject({ kind: 'openai', apiKey: 'sk-test-openai' });
    expect(cfg.providers.groq).toMatchObject({ preset: 'groq', apiKey: 'none' });
    expect(cfg.secrets).toEqual(['sk-test-openai', 'sk-ant-test']);
    expect(cfg.policy.version).toBe(3);
  });

  it('prices routes from the default table unless the route or `prices` says otherwise', () => {
    const cfg = parseConfig(YAML + 'policy:\n' + minimalPolicy(), env);
    expect(cfg.routes.get('gpt-4o')!.price.inputPerMTok).toBeGreaterThan(0);
    expect(cfg.routes.get('llama')!.price).toEqual({ inputPerMTok: 0.59, outputPerMTok: 0.79 });
  });

  it('names the variable and the line when an environment variable is missing', () => {
    const e = issuesOf(() => parseConfig(YAML, { OPENAI_API_KEY: 'x' }, 'backstop.yaml'));
    expect(e.message).toMatch(
      /backstop\.yaml:12: providers\.anthropic\.apiKey: environment variable ANTHROPIC_API_KEY is not set/,
    );
  });

  it('names the field and its line for a bad value', () => {
    const bad = YAML.replace('qualityClass: premium }', 'qualityClass: superb }');
    const e = issuesOf(() => parseConfig(bad, env, 'b.yaml'));
    expect(e.issues[0]).toMatchObject({ path: 'routes.0.qualityClass', line: 14 });
  });

  it('rejects a route whose provider is not configured', () => {
    const bad = YAML.replace('provider: groq', 'provider: nowhere');
    expect(issuesOf(() => parseConfig(bad, env)).message).toMatch(/routes\.2\.provider: unknown provider "nowhere"/);
  });

  it('rejects a policy naming an unknown route, with its path', () => {
    const e = issuesOf(() => parseConfig(YAML, env));
    expect(
      e.issues.some((i) => i.path.startsWith('policy.classes.critical.tiers') && /unknown route/.test(i.message)),
    ).toBe(true);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(issuesOf(() => parseConfig('providers:\n  a: [1, 2\nroutes: []', env, 'x.yaml')).message).toMatch(
      /^x\.yaml:\d+:/,
    );
  });

  it('accepts JSON', () => {
    const json = JSON.stringify({
      providers: { sim: { kind: 'simulator' } },
      routes: [{ id: 'a', provider: 'sim', model: 'sim-premium' }],
      policy: {
        version: 1,
        classes: Object.fromEntries(
          ['critical', 'non_critical', 'internal', 'batch', 'experiment'].map((c) => [
            c,
            { tiers: [{ kind: 'routes', routes: ['a'] }] },
          ]),
        ),
      },
    });
    expect(parseConfig(json, {}).providers.sim).toEqual({ kind: 'simulator', format: 'openai' });
  });

  it('reads rate limits by tenant, API key and route, with a default for other tenants', () => {
    const limits = `rateLimits:
  defaultTenant: { requestsPerMinute: 600 }
  tenants:
    acme: { requestsPerMinute: 60, tokensPerMinute: 100000 }
  keys:
    key-1: { tokensPerMinute: 5000 }
  routes:
    gpt-4o: { requestsPerMinute: 500 }
`;
    const cfg = parseConfig(YAML + limits + 'policy:\n' + minimalPolicy(), env);
    expect(cfg.rateLimits).toEqual({
      defaultTenant: { requestsPerMinute: 600 },
      tenants: { acme: { requestsPerMinute: 60, tokensPerMinute: 100_000 } },
      keys: { 'key-1': { tokensPerMinute: 5_000 } },
      routes: { 'gpt-4o': { requestsPerMinute: 500 } },
    });
    expect(parseConfig(YAML + 'policy:\n' + minimalPolicy(), env).rateLimits).toEqual({
      tenants: {},
      keys: {},
      routes: {},
    });
  });

  it('names an unknown route and a bad limit in rateLimits with their lines', () => {
    const unknown = `rateLimits:\n  routes:\n    gpt-5: { requestsPerMinute: 5 }\n`;
    expect(issuesOf(() => parseConfig(YAML + unknown, env, 'b.yaml')).message).toMatch(
      /b\.yaml:19: rateLimits\.routes\.gpt-5: unknown route "gpt-5"/,
    );
    const zero = `rateLimits:\n  tenants:\n    acme: { requestsPerMinute: 0 }\n`;
    expect(issuesOf(() => parseConfig(YAML + zero, env, 'b.yaml')).issues[0]).toMatchObject({
      path: 'rateLimits.tenants.acme.requestsPerMinute',
    });
  });

  it('falls back to a simulator demo config that passes validation', () => {
    const cfg = demoConfig();
    expect(Object.values(cfg.providers).every((p) => p.kind === 'simulator')).toBe(true);
    expect(cfg.routes.size).toBeGreaterThan(5);
  });
});

function minimalPolicy() {
  return `  version: 1\n  classes:\n${['critical', 'non_critical', 'internal', 'batch', 'experiment']
    .map((c) => `    ${c}: { tiers: [{ kind: routes, routes: [gpt-4o] }] }`)
    .join('\n')}\n`;
}
