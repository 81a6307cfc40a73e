import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createYoga, maskError } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { bearerToken } from './auth/api-keys.js';
import type { GraphQLContext } from './graphql/context.js';
import { useRequestLimits } from './graphql/request-limits.js';
import { mountConsole } from './http/console.js';
import { yogaResponse } from './http/yoga-response.js';
import { metricsHandler } from './monitoring/prometheus.js';
import { schema } from './graphql/schema.js';
import type { BackstopServices } from './services/services.js';
import type { Principal } from './services/tenant-store.js';

export interface AppOptions {
  /** Largest accepted request body, in bytes. Defaults to 1 MiB. */
  maxBodyBytes?: number;
  /** Extra routes mounted by later features (the OpenAI endpoint). */
  mount?: (app: Hono<AppEnv>, services: BackstopServices) => void;
  /** Serve `GET /metrics` without a key (env `BACKSTOP_METRICS_PUBLIC=true`). Defaults to false: staff keys only. */
  metricsPublic?: boolean;
  /** The built admin console (index.html + assets/). Defaults to `dist/web` at the repo root; see `mountConsole`. */
  consoleDir?: string;
}

export interface AppEnv {
  Variables: { requestId: string; principal: Principal | null };
}

/** Builds the HTTP app around the services. Tests call `app.fetch(request)`; no port is needed. */
export function createApp(services: BackstopServices, options: AppOptions = {}) {
  const { logger } = services;
  const yoga = createYoga<{ principal: Principal | null; requestId: string }, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    logging: false,
    landingPage: false,
    // No Upload scalar, so no use for the multipart request spec; its parser answered 500 to a malformed form.
    multipart: false,
    fetchAPI: { Response: yogaResponse },
    maskedErrors: {
      // Our GraphQLErrors carry a stable code and pass; anything else is logged and masked.
      maskError: (error, message, isDev) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (!(original instanceof GraphQLError) && original)
          logger.error({ err: original }, 'unexpected error in GraphQL');
        return withRequestErrorCode(maskError(error, message, isDev));
      },
    },
    plugins: [useRequestLimits()],
    context: ({ request, principal, requestId }) => ({ principal, requestId, services, signal: request.signal }),
  });

  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    // Always made here: the request id becomes the decision id, the primary key of the decision log. A client's
    // x-request-id could repeat (its second decision would be lost) or be too long to index (stalling the writer),
    // so it is only logged beside ours, for correlation.
    const requestId = randomUUID();
    const clientRequestId = c.req.header('x-request-id')?.slice(0, 200);
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    logger.debug(
      {
        requestId,
        ...(clientRequestId && { clientRequestId }),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const streamingLimit = bodyLimit({
    maxSize: maxBodyBytes,
    // The body was not read, so the connection cannot carry another request: close it.
    onError: (c) =>
      c.json(
        {
          error: {
            message: `request body over ${maxBodyBytes} bytes`,
            type: 'invalid_request_error',
            param: null,
            code: 'payload_too_large',
          },
        },
        413,
        { connection: 'close' },
      ),
  });
  app.use('*', async (c, next) => {
    // A declared length is checked from the header alone: touching the body here would build a web stream for
    // every request, the largest per-request cost the profile showed. Chunked bodies are counted as they stream.
    const length = c.req.header('content-length');
    if (length !== undefined && !c.req.header('transfer-encoding') && /^\d+$/.test(length)) {
      return Number(length) > maxBodyBytes ? streamingLimit(c, next) : next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return streamingLimit(c, next);
  });
  app.use('*', async (c, next) => {
    const key = bearerToken(c.req.raw.headers);
    c.set('principal', key ? await services.tenants.authenticate(key) : null);
    await next();
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    // Without Redis the instance still serves, on local state: ready, but degraded.
    const redis = services.shared.redisStatus();
    try {
      await services.database.execute('select 1');
      return c.json({
        ok: true,
        database: services.database.kind,
        redis,
        degraded: redis === 'unreachable',
        decisionBuffer: services.decisions.bufferDepth(),
      });
    } catch (e) {
      return c.json({ ok: false, database: 'unreachable', redis, error: (e as Error).message }, 503);
    }
  });
  app.get('/metrics', metricsHandler(services.monitoring.prometheus, options.metricsPublic ?? false));
  app.on(['GET', 'POST'], '/graphql', async (c) => {
    const requestId = c.get('requestId');
    const response = await yoga.fetch(c.req.raw, { principal: c.get('principal'), requestId });
    // Hono adds the headers set with c.header() only to responses it builds itself, not to one returned whole.
    response.headers.set('x-request-id', requestId);
    return response;
  });
  options.mount?.(app, services);
  // Last: its SPA fallback answers only what no API route took.
  mountConsole(app, options.consoleDir);
  return { fetch: app.fetch, hono: app, yoga };
}
export type BackstopApp = ReturnType<typeof createApp>;

// graphql-js reports bad variables (wrong type, missing, not in the enum) and unknown operation names without a code
// and without a path: they are the request's fault, so they get the code of the other input errors.
function withRequestErrorCode(error: Error): Error {
  if (!(error instanceof GraphQLError) || error.path || error.extensions.code !== undefined) return error;
  const { nodes, source, positions, extensions } = error;
  return new GraphQLError(error.message, {
    nodes,
    source,
    positions,
    extensions: { ...extensions, code: 'BAD_USER_INPUT' },
  });
}
