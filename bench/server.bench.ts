import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { Pool } from 'undici';
import { openDatabase } from '../drizzle/client.js';
import { createApp } from '../server/app.js';
import { demoConfig } from '../server/config.js';
import { mountOpenAICompatible } from '../server/http/openai-compatible.js';
import { createProviderRegistry } from '../server/providers/registry.js';
import { createServices } from '../server/services/services.js';

export interface LatencyRow {
  path: string;
  medianMs: number;
  p99Ms: number;
}
export interface ThroughputRow {
  path: string;
  concurrency: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * Backstop's own cost on the OpenAI-compatible path: the same request straight to the simulator (zero-delay mode) and
 * through Backstop with budgets and decision logging on (PGlite), interleaved so both see the same machine state.
 */
export async function benchServer(options: { rounds?: number; perRound?: number; seconds?: number } = {}) {
  const rounds = options.rounds ?? 5;
  const perRound = options.perRound ?? 200;
  const seconds = options.seconds ?? 3;
  const config = demoConfig();
  const registry = await createProviderRegistry(config.providers, { zeroDelay: true });
  // BENCH_DATABASE_URL runs the same benchmark against a Postgres server instead of embedded PGlite.
  const database = await openDatabase(
    process.env.BENCH_DATABASE_URL ? { url: process.env.BENCH_DATABASE_URL, poolSize: 20 } : { dataDir: 'memory://' },
  );
  const services = await createServices({
    database,
    config,
    providers: registry.resolve,
    logger: pino({ level: 'silent' }),
  });
  const { key } = await services.tenants.createApiKey(null, { role: 'admin', tenantId: null, name: 'bench' });
  await services.budgets.setBudget('default', {
    monthlyLimitUsd: 1e6,
    prepaidBalanceUsd: null,
    dailyLimitUsd: null,
    retryBudgetPerDay: null,
  });
  const app = createApp(services, { mount: mountOpenAICompatible });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;

  const targets = {
    direct: {
      pool: new Pool(registry.simulator!.url, { connections: 128 }),
      path: '/v1/chat/completions',
      model: 'gpt-4o',
      auth: {},
    },
    backstop: {
      pool: new Pool(`http://127.0.0.1:${port}`, { connections: 128 }),
      path: '/v1/chat/completions',
      model: 'critical',
      auth: { authorization: `Bearer ${key}` },
    },
  } as const;
  const one = async (t: (typeof targets)[keyof typeof targets]) => {
    const started = performance.now();
    const res = await t.pool.request({
      method: 'POST',
      path: t.path,
      headers: { 'content-type': 'application/json', ...t.auth },
      body: JSON.stringify({ model: t.model, messages: [{ role: 'user', content: 'What is the capital of France?' }] }),
    });
    await res.body.dump();
    return { ms: performance.now() - started, ok: res.statusCode === 200 };
  };

  for (const t of Object.values(targets)) for (let i = 0; i < 300; i++) await one(t); // warm-up

  const latency: Record<string, { medians: number[]; all: number[] }> = {
    direct: { medians: [], all: [] },
    backstop: { medians: [], all: [] },
  };
  for (let r = 0; r < rounds; r++) {
    for (const [name, t] of Object.entries(targets)) {
      const xs: number[] = [];
      for (let i = 0; i < perRound; i++) xs.push((await one(t)).ms);
      latency[name]!.medians.push(quantile(xs, 0.5));
      latency[name]!.all.push(...xs);
    }
  }
  const latencyRows: LatencyRow[] = Object.entries(latency).map(([path, v]) => ({
    path,
    medianMs: quantile(v.medians, 0.5),
    p99Ms: quantile(v.all, 0.99),
  }));

  const throughput: ThroughputRow[] = [];
  for (const concurrency of [1, 8, 32, 128]) {
    for (const [name, t] of Object.entries(targets)) {
      const end = performance.now() + seconds * 1000;
      const xs: number[] = [];
      let errors = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < end) {
            const r = await one(t).catch(() => ({ ms: 0, ok: false }));
            if (r.ok) xs.push(r.ms);
            else errors++;
          }
        }),
      );
      throughput.push({
        path: name,
        concurrency,
        rps: Math.round(xs.length / seconds),
        p50Ms: quantile(xs, 0.5),
        p99Ms: quantile(xs, 0.99),
        errors,
      });
    }
  }
  await services.decisions.flush();
  const rssMb = Math.round(process.memoryUsage().rss / 1e6);
  await Promise.all(Object.values(targets).map((t) => t.pool.close()));
  await new Promise((r) => server.close(r));
  await services.jobs.stop();
  await services.decisions.close();
  await registry.close();
  await database.close();
  return { latency: latencyRows, throughput, rssMb };
}
