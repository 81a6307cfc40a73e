import pino, { type Logger } from 'pino';
import { openDatabase, type DatabaseHandle } from '../../drizzle/client.js';
import { createApp, type AppOptions, type BackstopApp } from '../../server/app.js';
import { demoConfig, type BackstopConfig } from '../../server/config.js';
import { createProviderRegistry, type ProviderRegistry } from '../../server/providers/registry.js';
import { createServices, type BackstopServices, type JobsOptions } from '../../server/services/services.js';
import type { Role } from '../../server/auth/api-keys.js';
import type { MonitoringOptions } from '../../server/monitoring/monitoring.js';
import { createRedisConnections, type RedisConnectionsOptions } from '../../server/services/redis.js';

export interface TestBackstop {
  app: BackstopApp;
  services: BackstopServices;
  registry: ProviderRegistry;
  /** The in-process simulator every demo provider points at. */
  sim: NonNullable<ProviderRegistry['simulator']>;
  adminKey: string;
  /** Makes a key; tenant keys need a tenant (created if missing). */
  key(role: Role, tenantId?: string): Promise<string>;
  /** POSTs a GraphQL operation through `app.fetch`; returns the parsed JSON body. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: string | null,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[] }>;
  fetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * A whole Backstop in process: in-memory PGlite (or the given database), the simulator demo config with zero-delay
 * upstreams, the services and the app. Drive it with `gql` / `fetch`; no port is opened for the app.
 * Monitoring timers (alert loop, synthetic checks) run only when `monitoring.start` is true.
 */
export async function startTestBackstop(
  options: {
    database?: DatabaseHandle;
    app?: AppOptions;
    zeroDelay?: boolean;
    monitoring?: MonitoringOptions & { start?: boolean };
    /** Job queue settings; the workers run only when `start` is true (tests drive them with `drain()`). */
    jobs?: JobsOptions & { start?: boolean };
    /** Changes to the simulator demo config (e.g. `rateLimits`). */
    config?: (config: BackstopConfig) => BackstopConfig;
    /** Shared state in Redis (use a key prefix of the test's own); waits up to `waitMs` (default 2 000) for it. */
    redis?: Pick<RedisConnectionsOptions, 'url' | 'prefix' | 'maxRetryDelayMs' | 'connectTimeoutMs'> & {
      waitMs?: number;
    };
    /** The logger every service writes to, e.g. to capture the log lines. Defaults to a silent one. */
    logger?: Logger;
  } = {},
): Promise<TestBackstop> {
  const database = options.database ?? (await openDatabase({ dataDir: 'memory://' }));
  const config = options.config ? options.config(demoConfig()) : demoConfig();
  const registry = await createProviderRegistry(config.providers, { zeroDelay: options.zeroDelay ?? true });
  const logger = options.logger ?? pino({ level: 'silent' });
  const { start: startMonitoring, ...monitoring } = options.monitoring ?? {};
  const { start: startJobs, ...jobs } = options.jobs ?? {};
  const { waitMs, ...redisOptions } = options.redis ?? { url: '' };
  const redis = options.redis ? createRedisConnections({ ...redisOptions, logger }) : undefined;
  if (redis) await redis.ready(waitMs ?? 2_000);
  const services = await createServices({
    database,
    config,
    providers: registry.resolve,
    logger,
    monitoring,
    jobs,
    simulator: registry.simulator,
    redis,
  });
  const app = createApp(services, options.app);
  const { key: adminKey } = await services.tenants.createApiKey(null, {
    role: 'admin',
    tenantId: null,
    name: 'test admin',
  });

  const fetchApp = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const { key, ...rest } = init;
    const headers = new Headers(rest.headers);
    const k = key === undefined ? adminKey : key;
    if (k) headers.set('authorization', `Bearer ${k}`);
    return Promise.resolve(app.fetch(new Request(`http://backstop.test${path}`, { ...rest, headers })));
  };

  if (startMonitoring) {
    services.monitoring.start();
    services.canaryGuard.start();
  }
  if (startJobs) services.jobs.start();

  return {
    app,
    services,
    registry,
    sim: registry.simulator!,
    adminKey,
    async key(role, tenantId) {
      if (tenantId) await services.tenants.ensureTenant(tenantId);
      return (await services.tenants.createApiKey(null, { role, tenantId: tenantId ?? null, name: `${role} key` })).key;
    },
    async gql(query, variables, key) {
      const res = await fetchApp('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
        key,
      });
      return res.json() as never;
    },
    fetch: fetchApp,
    async close() {
      await services.jobs.stop();
      await services.shadows.close();
      services.drills.close();
      await services.monitoring.stop();
      services.shared.close();
      services.canaryGuard.close();
      services.canaries.close();
      services.policies.close();
      await redis?.close();
      await services.budgets.close();
      await services.decisions.close();
      await registry.close();
      if (!options.database) await database.close();
    },
  };
}
