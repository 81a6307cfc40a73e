import { setFlagsFromString } from 'node:v8';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { openDatabase } from '../drizzle/client.js';
import { createApp } from './app.js';
import { bootstrapAdminKey } from './bootstrap.js';
import { loadConfig } from './config.js';
import { parseEnv } from './env.js';
import { attachGraphQLWebSocket } from './graphql/websocket.js';
import { mountOpenAICompatible } from './http/openai-compatible.js';
import { createProviderRegistry } from './providers/registry.js';
import { createRedisConnections } from './services/redis.js';
import { createServices } from './services/services.js';
import { createTracing } from './monitoring/tracing.js';
import { isPostgresWriteRace } from './postgres-write-race.js';

// Parse the environment, open the database, listen. Everything else lives in createServices / createApp.
const env = parseEnv(process.env);
// V8's own factor let the old generation reach about three times what was live before a full GC: under steady load
// RSS doubled (~280 MB for ~55 MB live). A 30 % step keeps RSS near the live set for a few more, short, full GCs.
if (env.BACKSTOP_HEAP_GROWING_PERCENT > 0)
  setFlagsFromString(`--heap-growing-percent=${env.BACKSTOP_HEAP_GROWING_PERCENT}`);
const config = await loadConfig(env.BACKSTOP_CONFIG, process.env);
const logger = pino({
  level: env.LOG_LEVEL,
  redact: { paths: ['*.apiKey', '*.authorization', 'req.headers.authorization', 'key'], censor: '[redacted]' },
});
const database = await openDatabase({ url: env.DATABASE_URL, dataDir: `${env.BACKSTOP_DATA_DIR}/pglite` });
const registry = await createProviderRegistry(config.providers, { simulatorSeed: config.simulator.seed });
const redis = env.REDIS_URL
  ? createRedisConnections({ url: env.REDIS_URL, logger, prefix: env.BACKSTOP_REDIS_PREFIX })
  : undefined;
const services = await createServices({
  database,
  config,
  providers: registry.resolve,
  logger,
  simulator: registry.simulator,
  redis,
  journalDir: `${env.BACKSTOP_DATA_DIR}/journal`,
  decisionFlushMs: env.BACKSTOP_DECISION_FLUSH_MS,
  monitoring: {
    webhooks: env.BACKSTOP_ALERT_WEBHOOKS,
    processMetrics: true,
    evaluateEveryMs: env.BACKSTOP_ALERT_EVALUATE_MS,
  },
});
const newAdminKey = await bootstrapAdminKey(services, env.BACKSTOP_ADMIN_KEY, logger);
const app = createApp(services, {
  maxBodyBytes: env.BACKSTOP_MAX_BODY_BYTES,
  mount: mountOpenAICompatible,
  metricsPublic: env.BACKSTOP_METRICS_PUBLIC,
});
services.monitoring.start();
services.canaryGuard.start();
services.jobs.start();
const tracing = await createTracing({ ...(env.BACKSTOP_OTEL_ENDPOINT && { endpoint: env.BACKSTOP_OTEL_ENDPOINT }) });
tracing.attach(services.engine);

const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  const url = `http://${env.HOST}:${info.port}`;
  logger.info(
    {
      url,
      database: database.kind,
      redis: redis ? `${redis.safeUrl} (${redis.status()})` : 'off',
      config: env.BACKSTOP_CONFIG ?? 'simulator demo',
    },
    'Backstop listening',
  );
  if (newAdminKey) {
    console.log(`\n  Backstop is up at ${url}  (GraphQL: ${url}/graphql, OpenAI-compatible: ${url}/v1)`);
    console.log(`  Bootstrap admin key (shown once, store it now):\n\n    ${newAdminKey}\n`);
  }
  if (registry.simulator) logger.info({ url: registry.simulator.url }, 'simulator (demo providers) listening');
});
const ws = attachGraphQLWebSocket(server, app, services);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: draining requests');
  // Stop accepting; in-flight requests finish (bounded), then pending decision rows are flushed before exit.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.race([closed, new Promise((r) => setTimeout(r, 15_000).unref())]);
  await ws.close();
  // Workers stop before the database closes: running jobs get a grace period, then go back to queued; queued jobs
  // stay queued in the jobs table and pg-boss for the next process.
  await services.jobs.stop();
  // Mirrored calls in flight are aborted (their shadow holds released) rather than waited for.
  await services.shadows.close();
  services.drills.close();
  await services.monitoring.stop();
  services.shared.close();
  services.canaryGuard.close();
  services.canaries.close();
  services.policies.close();
  await redis?.close();
  await tracing.shutdown();
  await services.budgets.close();
  await services.decisions.close();
  await registry.close();
  await database.close();
  logger.info('stopped');
  process.exit(0);
}
// A known postgres.js race on a cut network must not take the gateway down; anything else still ends the process.
process.on('uncaughtException', (error) => {
  if (isPostgresWriteRace(error)) {
    logger.warn({ err: error }, 'postgres.js wrote to a closed connection; it reconnects');
    return;
  }
  logger.fatal({ err: error }, 'uncaught exception');
  process.exit(1);
});
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
