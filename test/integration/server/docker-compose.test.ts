import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEnv } from '../../../server/env.js';
import { GATEWAY_NODE_FLAGS } from '../../../server/build.js';

// No Docker engine runs in CI, so the compose stack is never started there. These checks pin the parts that make it
// work (shared stores, health gating, the load balancer's upgrade and streaming settings, a non-root image) so that
// the files cannot drift away from the server unnoticed.

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Healthcheck {
  test: string[] | string;
}
interface Service {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string>;
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  stop_grace_period?: string;
  ports?: string[];
  volumes?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const { services } = compose;
const INSTANCES = ['backstop-a', 'backstop-b'] as const;
const nginx = read('deploy/nginx.conf');
const dockerfile = read('Dockerfile');

/** Resolves compose interpolation as `docker compose` does with none of the variables set: `${X:-default}` -> default. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_, fallback: string | undefined) => fallback ?? '');
}

function instance(name: string): Service & { environment: Record<string, string> } {
  const service = services[name];
  if (!service?.environment) throw new Error(`docker-compose.yml: service ${name} has no environment`);
  return { ...service, environment: service.environment };
}

function healthcheckCommand(service: Service | undefined): string {
  const test = service?.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** The body of the first `name ... { }` block in nginx.conf (nested braces included). */
function nginxBlock(header: RegExp): string {
  const start = nginx.search(header);
  if (start < 0) throw new Error(`deploy/nginx.conf: no block matching ${header}`);
  const open = nginx.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < nginx.length; i++) {
    if (nginx[i] === '{') depth++;
    if (nginx[i] === '}' && --depth === 0) return nginx.slice(open + 1, i);
  }
  throw new Error(`deploy/nginx.conf: unclosed block ${header}`);
}

/** Dockerfile instructions of the last stage, continuation lines joined. */
function finalStage(): string[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const lastFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  return lines.slice(lastFrom);
}

describe('docker-compose.yml', () => {
  it('runs Postgres 16, Redis 7, two Backstop instances and an nginx load balancer', () => {
    expect(services.postgres?.image).toMatch(/^postgres:16/);
    expect(services.redis?.image).toMatch(/^redis:7/);
    expect(services.lb?.image).toMatch(/^nginx:1\.27-alpine$/);
    for (const name of INSTANCES) expect(services[name]?.build).toBeDefined();
  });

  it('gives every service a healthcheck and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(healthcheckCommand(service), `${name} healthcheck`).not.toBe('');
      expect(service.restart, `${name} restart`).toMatch(/^(always|unless-stopped|on-failure)/);
    }
    expect(healthcheckCommand(services.postgres)).toContain('pg_isready');
    expect(healthcheckCommand(services.redis)).toContain('redis-cli ping');
  });

  it('keeps Postgres data in a named volume', () => {
    const volume = services.postgres?.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'));
    const name = volume?.split(':')[0] ?? '';
    expect(name).toMatch(/^[a-z][\w-]*$/);
    expect(compose.volumes).toHaveProperty(name);
  });

  it('points both instances at the same Postgres and Redis', () => {
    const [a, b] = INSTANCES.map(instance);
    expect(a!.environment.DATABASE_URL).toBe(b!.environment.DATABASE_URL);
    expect(a!.environment.REDIS_URL).toBe(b!.environment.REDIS_URL);
    expect(new URL(interpolateDefaults(a!.environment.DATABASE_URL!)).hostname).toBe('postgres');
    expect(new URL(interpolateDefaults(a!.environment.REDIS_URL!)).hostname).toBe('redis');
  });

  it('gives each instance an environment that server/env.ts accepts with the local defaults', () => {
    for (const name of INSTANCES) {
      const environment = Object.fromEntries(
        Object.entries(instance(name).environment).map(([k, v]) => [k, interpolateDefaults(String(v))]),
      );
      const env = parseEnv(environment);
      expect(env.HOST).toBe('0.0.0.0');
      expect(env.DATABASE_URL).toBeDefined();
      expect(env.REDIS_URL).toBeDefined();
      expect(env.BACKSTOP_ADMIN_KEY).toBeDefined();
      expect(env.BACKSTOP_CONFIG).toBeUndefined();
    }
  });

  it('checks each instance on /readyz with node (the slim image has no curl) and drains for 30 s on stop', () => {
    for (const name of INSTANCES) {
      const service = instance(name);
      const command = healthcheckCommand(service);
      expect(command).toMatch(/^CMD node -e /);
      expect(command).toContain(`http://127.0.0.1:${service.environment.PORT}/readyz`);
      expect(service.stop_grace_period).toBe('30s');
      expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(service.depends_on?.redis?.condition).toBe('service_healthy');
    }
  });

  it('starts backstop-b once backstop-a is healthy, so migrations never run twice at once', () => {
    expect(services['backstop-b']?.depends_on?.['backstop-a']?.condition).toBe('service_healthy');
  });

  it('starts the load balancer on port 8080 once both instances are healthy, with the committed nginx.conf', () => {
    const lb = services.lb!;
    for (const name of INSTANCES) expect(lb.depends_on?.[name]?.condition).toBe('service_healthy');
    expect(lb.ports).toContain('8080:8080');
    expect(lb.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
  });
});

describe('deploy/nginx.conf', () => {
  it('balances over both instances with passive health checks', () => {
    const upstream = nginxBlock(/upstream\s+backstop\s*\{/);
    for (const name of INSTANCES) {
      const port = instance(name).environment.PORT;
      expect(upstream).toMatch(new RegExp(`server\\s+${name}:${port}\\b[^;]*max_fails=\\d+[^;]*fail_timeout=\\d+s`));
    }
    expect(nginx).toMatch(/proxy_pass\s+http:\/\/backstop;/);
  });

  it('upgrades WebSockets (graphql-ws on /graphql), streams SSE unbuffered and passes X-Request-Id', () => {
    const location = nginxBlock(/location\s+\/\s*\{/);
    expect(nginx).toMatch(/map\s+\$http_upgrade\s+\$connection_upgrade/);
    expect(location).toMatch(/proxy_http_version\s+1\.1;/);
    expect(location).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    expect(location).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
    expect(location).toMatch(/proxy_buffering\s+off;/);
    expect(location).toMatch(/proxy_set_header\s+X-Request-Id\s+\$\w+;/);
    const readTimeout = Number(/proxy_read_timeout\s+(\d+)s;/.exec(location)?.[1]);
    expect(readTimeout).toBeGreaterThanOrEqual(300);
  });

  it('listens on the port docker-compose.yml publishes', () => {
    expect(nginx).toMatch(/listen\s+8080;/);
  });
});

describe('Dockerfile', () => {
  it('installs from the lockfile and builds the console on node:20-bookworm-slim', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]);
    expect(froms.filter((image) => image === 'node:20-bookworm-slim').length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build:web\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build:server\b/m);
  });

  it('runs the server as a non-root user with the built console', () => {
    const stage = finalStage();
    const user = stage.findLast((l) => /^USER\s/i.test(l))?.split(/\s+/)[1];
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(stage.some((l) => /^COPY\s.*dist\/web/.test(l))).toBe(true);
    expect(stage.some((l) => /^COPY\s.*dist\/server/.test(l))).toBe(true);
    // The built bundle on plain node, with runtime packages only: no TypeScript loader in production.
    const cmd = stage.at(-1)!;
    expect(cmd).toMatch(/^CMD \[/);
    expect(JSON.parse(cmd.slice('CMD '.length))).toEqual(['node', ...GATEWAY_NODE_FLAGS, 'dist/server/main.mjs']);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev\b/m);
  });

  it('keeps local installs, builds and data out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const path of ['node_modules', 'dist', '.backstop', 'artifacts', '.git', 'coverage']) {
      expect(ignored).toContain(path);
    }
  });
});
