import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultProfile } from '../../../shared/contracts/fault-profile.js';
import type { Clock } from '../../../shared/engine/ports.js';
import { systemClock } from '../../system-clock.js';
import { ADMIN_PREFIX, handleAdmin } from './admin.js';
import { anthropicFormat } from './anthropic-format.js';
import { handleCompletion, sendJson } from './completion.js';
import { openaiFormat } from './openai-format.js';
import type { SimulatorState, SimulatorStats } from './state.js';
import { DEFAULT_PROFILE_KEY, createSimulatorState } from './state.js';

/** Model ids listed by `GET /v1/models` when none are configured; any other model name is answered too. */
export const DEFAULT_SIM_MODELS = ['sim-premium', 'sim-standard', 'sim-budget'] as const;

// Request bodies above this are refused, as providers do.
const MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface SimulatorOptions {
  /** Interface to listen on. Defaults to 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Defaults to 0. */
  port?: number;
  /** Seed of every random stream (per model, mixed with the model name). Defaults to 1. */
  seed?: number;
  /** Disable all latency and chunk delays, for benchmarks. Defaults to false. */
  zeroDelay?: boolean;
  /** Fault profiles by model; the key `*` applies to models without their own. Defaults to none (all healthy). */
  profiles?: Record<string, FaultProfile>;
  /** Canned answers by model; other models echo the last user message. */
  answers?: Record<string, string>;
  /** Model ids for `GET /v1/models`, besides those with a profile or canned answer. Defaults to DEFAULT_SIM_MODELS. */
  models?: string[];
  /** Time for outage windows, `created` stamps and delays. Defaults to the system clock. */
  clock?: Clock;
}

/** A simulator not yet listening: its request handler and its runtime controls. */
export interface SimulatorCore {
  handle(req: IncomingMessage, res: ServerResponse): void;
  state: SimulatorState;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:4010`. */
  url: string;
  port: number;
  /** Validates (throws InvalidFaultProfileError) and applies a profile; `*` sets the default profile. */
  setProfile(model: string, profile: FaultProfile): void;
  clearProfile(model: string): void;
  /** The profiles set now, by model (`*` for the default one); a copy. */
  profiles(): Record<string, FaultProfile>;
  stats(): SimulatorStats;
  /** Rewinds every random stream to the seed and zeroes the stats; profiles stay. */
  reset(): void;
  /** Stops listening and destroys every open connection, hung ones included. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size <= MAX_BODY_BYTES) parts.push(part);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Builds the simulator's request handler without opening a port. */
export function createSimulator(options: SimulatorOptions = {}): SimulatorCore {
  const state = createSimulatorState(options.seed ?? 1, options.profiles ?? {});
  const clock = options.clock ?? systemClock;
  const answers = options.answers ?? {};
  const deps = { state, clock, zeroDelay: options.zeroDelay ?? false, answers };

  const modelIds = () => [
    ...new Set([
      ...(options.models ?? DEFAULT_SIM_MODELS),
      ...Object.keys(answers),
      ...Object.keys(state.profiles()).filter((m) => m !== DEFAULT_PROFILE_KEY),
    ]),
  ];

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;
    // Anthropic SDKs always send anthropic-version; it picks the dialect of answers that have no path of their own.
    const format = req.headers['anthropic-version'] || path === '/v1/messages' ? anthropicFormat : openaiFormat;
    const raw = await readBody(req);
    if (raw === undefined) return sendJson(res, format.error(413, 'The request body is too large.'));

    if (path.startsWith(ADMIN_PREFIX)) return sendJson(res, handleAdmin(state, method, path, raw));
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(res, { status: 200, body: format.models(modelIds(), Math.floor(clock.now() / 1000)) });
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/messages')) {
      return handleCompletion(format, parseJson(raw), req, res, deps);
    }
    sendJson(res, format.error(404, `Invalid URL (${method} ${path})`));
  }

  return {
    state,
    handle(req, res) {
      route(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        sendJson(res, openaiFormat.error(500, error instanceof Error ? error.message : String(error)));
      });
    },
  };
}

/**
 * Starts a simulator on loopback and resolves once it listens.
 * @example const sim = await startSimulator({ seed: 7, profiles: { 'sim-standard': { errorRates: { 429: 0.3 } } } });
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const core = createSimulator(options);
  const server: Server = createServer(core.handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    setProfile: (model, profile) => void core.state.setProfile(model, profile),
    clearProfile: (model) => void core.state.clearProfile(model),
    profiles: () => core.state.profiles(),
    stats: () => core.state.stats(),
    reset: () => core.state.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for open requests, and a hung one never ends.
        server.closeAllConnections();
      }),
  };
}
