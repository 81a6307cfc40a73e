import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  /** The in-process simulator's URL (its `/_sim` admin API sets fault profiles). */
  simUrl: string;
  adminKey: string;
  /** Everything the process wrote, for scanning (secrets) and for failure messages. */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
  /** SIGKILL at once (a crash: nothing is stopped or flushed), then waits for the exit. Keeps the data folder. */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  /** An existing PGlite data folder (a restart); it is kept on stop. Defaults to a fresh one, removed on stop. */
  dataDir?: string;
  /** The admin key; pass the first process's key when restarting on its data. */
  adminKey?: string;
  /** A built gateway (`npm run build:server`'s main.mjs) to run with plain node instead of the TypeScript source. */
  entry?: string;
  /** Node flags before the entry, as `npm start` passes `GATEWAY_NODE_FLAGS`. */
  nodeFlags?: readonly string[];
}

/**
 * Starts `server/main.ts` (or a built `entry`) as its own process on a free loopback port, with a fresh PGlite directory, the simulator
 * demo config and a known admin key; resolves when it is listening.
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'backstop-e2e-')));
  const adminKey =
    options.adminKey ?? `bk_admin_e2e_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const args = [
    ...(options.nodeFlags ?? []),
    ...(options.entry ? [options.entry] : ['--import', 'tsx', 'server/main.ts']),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      BACKSTOP_DATA_DIR: dataDir,
      BACKSTOP_ADMIN_KEY: adminKey,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const [url, simUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*Backstop listening/.exec(out);
      const sim = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*simulator \(demo providers\) listening/.exec(out);
      // The simulator line follows the listening line; a config without a simulator has none.
      if (m && (sim || env.BACKSTOP_CONFIG)) {
        clearTimeout(timer);
        resolve([m[1]!, sim?.[1] ?? '']);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    url,
    simUrl,
    adminKey,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(kill);
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
