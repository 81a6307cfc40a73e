import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { CombinedError, Provider, type Client, type GraphQLRequest, type OperationResult } from 'urql';
import { concat, delay, fromValue, makeSubject, never, pipe } from 'wonka';
import { vi } from 'vitest';
import { SessionContext, type Session } from './auth.js';

/** Answers one operation: `data` (and optional `error`-free result) by operation name and variables. */
export type Responder = (operationName: string, variables: Record<string, unknown>) => unknown;

export interface MockClient {
  client: Client;
  /** Every operation sent, in order: { kind, name, variables }. */
  calls: { kind: 'query' | 'mutation' | 'subscription'; name: string; variables: Record<string, unknown> }[];
  /** Pushes one subscription payload to every live subscription named `name`. */
  push(name: string, data: unknown): void;
}

function nameOf(request: GraphQLRequest): string {
  for (const def of request.query.definitions)
    if (def.kind === 'OperationDefinition' && def.name) return def.name.value;
  return 'anonymous';
}

/**
 * A urql client for component tests: queries and mutations are answered by `respond` (return an Error to fail,
 * `undefined` to stay loading); subscriptions receive what tests `push`.
 */
export function createMockClient(respond: Responder): MockClient {
  const calls: MockClient['calls'] = [];
  const subjects = new Map<string, ReturnType<typeof makeSubject<OperationResult>>[]>();
  const answer = (kind: 'query' | 'mutation', request: GraphQLRequest) => {
    const name = nameOf(request);
    const variables = (request.variables ?? {}) as Record<string, unknown>;
    calls.push({ kind, name, variables });
    const data = respond(name, variables);
    if (data === undefined) return never;
    const result = (data instanceof Error
      ? {
          operation: request,
          error: new CombinedError({
            graphQLErrors: [
              {
                message: data.message,
                extensions: {
                  code: (data as Error & { code?: string }).code,
                  ...(data as Error & { extensions?: object }).extensions,
                },
              },
            ],
          }),
          stale: false,
          hasNext: false,
        }
      : { operation: request, data, stale: false, hasNext: false }) as unknown as OperationResult;
    // Real client sources stay open after a result; one that ends makes urql reset the error.
    return pipe(concat([fromValue(result), never]), delay(0));
  };
  const client = {
    executeQuery: vi.fn((request: GraphQLRequest) => answer('query', request)),
    executeMutation: vi.fn((request: GraphQLRequest) => answer('mutation', request)),
    executeSubscription: vi.fn((request: GraphQLRequest) => {
      const name = nameOf(request);
      calls.push({ kind: 'subscription', name, variables: (request.variables ?? {}) as Record<string, unknown> });
      const subject = makeSubject<OperationResult>();
      subjects.set(name, [...(subjects.get(name) ?? []), subject]);
      return subject.source;
    }),
  } as unknown as Client;
  return {
    client,
    calls,
    push(name, data) {
      for (const s of subjects.get(name) ?? [])
        s.next({ data, stale: false, hasNext: true } as unknown as OperationResult);
    },
  };
}

export const TEST_SESSION: Session = {
  key: 'bk_admin_test',
  role: 'admin',
  keyId: 'key-1',
  tenantId: null,
  logout: () => {},
};

/** Renders `ui` signed in as an admin, with the mock client and a router at `path`. */
export function renderWithClient(
  ui: ReactElement,
  mock: MockClient,
  path = '/',
  session: Session = TEST_SESSION,
): RenderResult {
  return render(
    <SessionContext.Provider value={session}>
      <Provider value={mock.client}>
        <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
      </Provider>
    </SessionContext.Provider>,
  );
}
