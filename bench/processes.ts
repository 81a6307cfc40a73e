import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { FaultProfile } from '../shared/contracts/fault-profile.js';
import type { SimulatorStats } from '../server/providers/simulator/state.js';
import { buildServer, GATEWAY_NODE_FLAGS } from '../server/build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The bench's Backstop config: the demo's routes and policy, providers on the external simulator (`SIM_URL`). */
export const BENCH_CONFIG = fileURLToPath(new URL('./backstop.bench.yaml', import.meta.url));

// Output kept per process for failure messages and the warning scan; older output is dropped.
const OUTPUT_LIMIT = 256 * 1024;

/** A Node child process of the bench (the simulator or Backstop). */
export interface ChildHandle {
  pid: number;
  /** Resident set size now, in MB (VmRSS of /proc/<pid>/status); NaN where /proc is unavailable. */
  rssMb(): number;
  /** CPU time used so far, user + system, in milliseconds (/proc/<pid>/stat); NaN where /proc is unavailable. */
  cpuMs(): number;
  /** The latest output of the process (stdout and stderr together), up to 256 KB. */
  output(): string;
  /** Lines the process logged at warn level or above (pino level >= 40), for the report. */
  warnings(): string[];
  /** SIGTERM, then SIGKILL after `graceMs` (default 20 000); resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** VmRSS of a process, in MB; NaN when it cannot be read (not Linux, or the process is gone). */
export function readRssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

// utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (USER_HZ, 100 on Linux); the command name
// before them may hold spaces, so fields are counted after its closing parenthesis.
const TICK_MS = 10;

/** CPU time of a process so far, user + system, in milliseconds; NaN when it cannot be read. */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** A TCP port that was free a moment ago on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node <script>` from the repository root; through tsx when the script is TypeScript. */
export function spawnNode(script: string, env: Record<string, string>, nodeArgs: readonly string[] = []): ChildHandle {
  const args = [...nodeArgs, ...(script.endsWith('.ts') ? ['--import', 'tsx', script] : [script])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    rssMb: () => readRssMb(child.pid!),
    cpuMs: () => readCpuMs(child.pid!),
    output: () => out,
    warnings: () => out.split('\n').filter((line) => /"level":(4|5|6)\d/.test(line)),
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** Polls `ready` every 100 ms until it holds, the process exits, or `timeoutMs` passes (then throws with its output). */
export async function waitUntil(
  what: string,
  handle: ChildHandle,
  ready: () => Promise<boolean> | boolean,
  timeoutMs = 120_000,
): Promise<void> {
  let exit: number | null | undefined;
  void handle.exited.then((code) => (exit = code));
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exit !== undefined) throw new Error(`${what} exited (${exit}) before it was ready:\n${handle.output()}`);
    if (await Promise.resolve(ready()).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.stop(2_000);
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${handle.output()}`);
}

/** Waits until `handle` prints a line that `pattern` matches and returns the pattern's first group (a URL). */
export async function printedUrl(what: string, handle: ChildHandle, pattern: RegExp): Promise<string> {
  let url = '';
  await waitUntil(what, handle, () => {
    url = pattern.exec(handle.output())?.[1] ?? '';
    return url !== '';
  });
  return url;
}

/** Waits until `handle` prints `<what> listening (url=...)` and returns the URL. */
const listeningUrl = (what: string, handle: ChildHandle) =>
  printedUrl(what, handle, new RegExp(`${what} listening \\(url=(http://[^)]+)\\)`));

/** How the simulator process behaves; see server/providers/simulator/cli.ts. */
export interface SimulatorProcessOptions {
  /** Port to listen on; 0 picks a free one. Defaults to 0. */
  port?: number;
  /** No latency or chunk delay at all (SIM_ZERO_DELAY=1). Defaults to false. */
  zeroDelay?: boolean;
  /** Time to first byte of every model without its own profile, in milliseconds (SIM_LATENCY_MS). Defaults to 0. */
  latencyMs?: number;
}

/** The provider simulator in its own process, with its `/_sim` admin API. */
export interface SimulatorProcess {
  url: string;
  port: number;
  handle: ChildHandle;
  options: SimulatorProcessOptions;
  setProfile(model: string, profile: FaultProfile): Promise<void>;
  clearProfile(model: string): Promise<void>;
  stats(): Promise<SimulatorStats>;
}

async function admin(url: string, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${url}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await res.body.json()) as unknown;
  if (res.statusCode !== 200) throw new Error(`simulator admin ${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Starts `server/providers/simulator/cli.ts` and resolves once it prints its URL. */
export async function startSimulatorProcess(options: SimulatorProcessOptions = {}): Promise<SimulatorProcess> {
  const handle = spawnNode('server/providers/simulator/cli.ts', {
    SIM_PORT: String(options.port ?? 0),
    SIM_ZERO_DELAY: options.zeroDelay ? '1' : '0',
    SIM_LATENCY_MS: String(options.latencyMs ?? 0),
  });
  const url = await listeningUrl('simulator', handle);
  return {
    url,
    port: Number(new URL(url).port),
    handle,
    options,
    setProfile: async (model, profile) =>
      void (await admin(url, 'PUT', `profiles/${encodeURIComponent(model)}`, profile)),
    clearProfile: async (model) => void (await admin(url, 'DELETE', `profiles/${encodeURIComponent(model)}`)),
    stats: async () => (await admin(url, 'GET', 'stats')) as SimulatorStats,
  };
}

/** A bare Node proxy (`bench/bare-proxy.ts`) in front of the simulator: the floor of any Node gateway here. */
export interface BareProxyProcess {
  url: string;
  handle: ChildHandle;
}

/** Starts `bench/bare-proxy.ts` in front of `simUrl` and resolves once it prints its URL. */
export async function startBareProxyProcess(simUrl: string): Promise<BareProxyProcess> {
  const handle = spawnNode('bench/bare-proxy.ts', { PORT: '0', SIM_URL: simUrl });
  return { url: await listeningUrl('bare proxy', handle), handle };
}

/** Where a Backstop process keeps its data: a PGlite folder or a Postgres URL. */
export interface BackstopStorage {
  kind: 'pglite' | 'postgres';
  /** BACKSTOP_DATA_DIR (PGlite lives in its `pglite/` folder). */
  dataDir: string;
  /** DATABASE_URL; absent for PGlite. */
  url?: string;
}

/** Backstop in its own process, started like production. */
export interface BackstopProcess {
  url: string;
  adminKey: string;
  handle: ChildHandle;
}

/** How to start a Backstop process other than the bench's build of the working tree. */
export interface BackstopProcessOptions {
  /** The gateway bundle to run; defaults to the bench's build of the working tree (`dist/server-bench/main.mjs`). */
  script?: string;
  /** The gateway's own Node flags; defaults to this checkout's `GATEWAY_NODE_FLAGS` (another commit may have others). */
  nodeFlags?: readonly string[];
  /** Node flags after those, such as `--inspect=127.0.0.1:0` for the profiler. */
  nodeArgs?: readonly string[];
}

// The bench's own build (two levels down, like dist/server), so a running `npm start` keeps its files.
let built: Promise<string> | undefined;
/** Builds the working tree's gateway for the bench, once per process; resolves with the bundle's path. */
export const benchBuild = () =>
  (built ??= buildServer(fileURLToPath(new URL('../dist/server-bench', import.meta.url))));

/**
 * Starts the built gateway (`npm run build:server`'s bundle, on plain node with `GATEWAY_NODE_FLAGS`) on a free loopback
 * port as the Dockerfile does (NODE_ENV=production), with the bench config,
 * LOG_LEVEL=warn and a fresh admin key; resolves once `/healthz` answers. Redis and tracing are off, whatever the calling
 * shell has set.
 */
export async function startBackstopProcess(
  simUrl: string,
  storage: BackstopStorage,
  options: BackstopProcessOptions = {},
): Promise<BackstopProcess> {
  const port = await freePort();
  const adminKey = `bk_admin_bench_${randomBytes(16).toString('hex')}`;
  const handle = spawnNode(
    options.script ?? (await benchBuild()),
    {
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      BACKSTOP_DATA_DIR: storage.dataDir,
      DATABASE_URL: storage.url ?? '',
      BACKSTOP_ADMIN_KEY: adminKey,
      BACKSTOP_CONFIG: BENCH_CONFIG,
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
      BACKSTOP_OTEL_ENDPOINT: '',
      SIM_URL: simUrl,
    },
    [...(options.nodeFlags ?? GATEWAY_NODE_FLAGS), ...(options.nodeArgs ?? [])],
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('Backstop', handle, async () => {
    const res = await request(`${url}/healthz`);
    await res.body.dump();
    return res.statusCode === 200;
  });
  return { url, adminKey, handle };
}
