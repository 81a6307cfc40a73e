import type { Server } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import { randomUUID } from 'node:crypto';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { WebSocketServer } from 'ws';
import type { BackstopApp } from '../app.js';
import { findInputProblem } from '../http/input-limits.js';
import type { BackstopServices } from '../services/services.js';
import { clientError } from './errors.js';

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/**
 * Serves the GraphQL schema over WebSocket (graphql-ws protocol) at `/graphql` on the same port as HTTP.
 * The key comes from the connection params (`{ authorization: 'Bearer <key>' }`), as browsers cannot set headers.
 */
export function attachGraphQLWebSocket(
  server: Server | Http2Server | Http2SecureServer,
  app: BackstopApp,
  services: BackstopServices,
) {
  const wss = new WebSocketServer({ server: server as Server, path: '/graphql' });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '').trim() : undefined;
        const principal = token ? await services.tenants.authenticate(token) : null;
        const abort = new AbortController();
        ctx.extra.socket.once('close', () => abort.abort());
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.yoga.getEnveloped({
          ...ctx,
          request: { signal: abort.signal },
          principal,
          requestId: randomUUID(),
          params,
        });
        // Returned, not thrown: a thrown error would close the socket and every other subscription on it.
        const problem = findInputProblem(params.variables ?? null);
        if (problem) {
          const path = ['variables', ...problem.path].join('.');
          const issues = [{ path, message: problem.message }];
          return [clientError('BAD_USER_INPUT', `invalid input: ${path}: ${problem.message}`, { issues })];
        }
        let document;
        try {
          document = parse(params.query);
        } catch (e) {
          if (e instanceof GraphQLError) return [e];
          throw e;
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wss,
  );
  return {
    close: async () => {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
