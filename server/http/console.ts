import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app.js';

/** Where `vite build` writes the admin console (see web/vite.config.ts): `dist/web` at the repo root. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

// Vite names every file under assets/ by its content hash, so a year-long cache is safe; anything else must be
// revalidated, or a deploy would keep serving an index.html that points at assets which no longer exist.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const API_PATH = /^\/(?:graphql|v1|healthz|readyz|metrics|assets)(?:\/|$)/;

/**
 * Whether a path is the API's or the hashed assets' (`/graphql`, `/v1`, `/healthz`, `/readyz`, `/metrics`, `/assets`,
 * and anything below them): the console's SPA fallback never answers those.
 */
export function isApiPath(path: string): boolean {
  return API_PATH.test(path);
}

const LANDING =
  '<!doctype html><meta charset="utf-8"><title>Backstop</title><h1>Backstop gateway</h1>' +
  '<p>GraphQL: <a href="/graphql">/graphql</a> (POST, or GET with a query) &middot; OpenAI-compatible: ' +
  '<code>/v1/chat/completions</code>, <a href="/v1/models">/v1/models</a> &middot; <a href="/healthz">/healthz</a> ' +
  '&middot; <a href="/readyz">/readyz</a> &middot; <a href="/metrics">/metrics</a></p><p>Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>.</p>' +
  '<p>The admin console is not built yet: run <code>npm run build:web</code>, then restart the gateway.</p>';

/**
 * Serves the built console from `dir` when `dir/index.html` exists (checked once, at start): `/assets/*` with a
 * long cache, other files of `dir` (favicon, ...) revalidated, and index.html for `/` and for any other GET that
 * asks for HTML and is not an API path, so deep links such as `/policies` load the app. Without a build, `/` is a
 * landing page listing the endpoints. Mount it after every API route.
 * @example mountConsole(app, options.consoleDir);
 */
export function mountConsole(app: Hono<AppEnv>, dir = DEFAULT_CONSOLE_DIR): void {
  const root = resolve(dir);
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) {
    app.get('/', (c) => c.html(LANDING));
    return;
  }
  // @hono/node-server builds the response before `onFound` runs, so the header is set up front and taken back when
  // the file is missing (a cached 404 would outlive the next deploy).
  const serve = (options: { root?: string; path?: string }, cacheControl: string): MiddlewareHandler<AppEnv> => {
    const files = serveStatic<AppEnv>({
      ...options,
      onNotFound: (_path, c) => void c.header('cache-control', undefined),
    });
    return (c, next) => {
      c.header('cache-control', cacheControl);
      return files(c, next);
    };
  };
  const assets = serve({ root }, IMMUTABLE);
  const files = serve({ root }, REVALIDATE);
  const index = serve({ path: indexFile }, REVALIDATE);

  app.get('/assets/*', assets);
  // A file that exists wins (`/` is the folder, so index.html); otherwise HTML navigations get the app.
  app.get('*', (c, next) => (isApiPath(c.req.path) ? next() : files(c, next)));
  app.get('*', (c, next) =>
    !isApiPath(c.req.path) && (c.req.header('accept') ?? '').includes('text/html') ? index(c, next) : next(),
  );
}
