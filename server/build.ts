import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Node flags the gateway runs with (`npm start`, the Dockerfile's CMD and the bench; tests check all three). The young
 * generation's semi-spaces stay at 8 MB instead of V8's 16: under a c=32 load RSS went from about 158 to 146 MB with
 * no change in requests/s, as requests die young either way. It cannot be set from inside the process.
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

/** Where `npm run build:server` writes the gateway: `<outDir>/main.mjs` and the migrations beside it. */
export const SERVER_DIST = join(ROOT, 'dist/server');

/**
 * Bundles server/main.ts and everything it imports from this repository into one ES module; packages stay in
 * node_modules. Running that file with plain `node` skips tsx's on-the-fly TypeScript, whose loader, transform cache
 * and source maps held about 95 MB of a gateway process (233 -> 137 MB RSS idle on Postgres, measured). The SQL
 * migrations are copied next to it, where drizzle/client.ts looks for them (`./migrations` from the module).
 * A source map is written too: run with `NODE_OPTIONS=--enable-source-maps` for TypeScript stack traces. `root` is
 * the checkout to build (another commit's worktree, for `npm run bench:ab`); packages are still imported at run time
 * from the node_modules above `outDir`.
 * @example await buildServer(); // then: node dist/server/main.mjs
 */
export async function buildServer(outDir = SERVER_DIST, root = ROOT): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  const outfile = join(outDir, 'main.mjs');
  await build({
    entryPoints: [join(root, 'server/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'external',
    logLevel: 'warning',
  });
  cpSync(join(root, 'drizzle/migrations'), join(outDir, 'migrations'), { recursive: true });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer();
