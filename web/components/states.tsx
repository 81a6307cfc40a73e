import type { CombinedError } from 'urql';
import type { ReactNode } from 'react';

/** Shown while a page's first query is in flight. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** Shown when a query answered with nothing to show; says what would fill it. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** The GraphQL error code (extensions.code) of the first error, if any. */
export function errorCode(error: CombinedError | undefined): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A failed query or mutation, with the server's message and code, and a retry when given. */
export function ErrorState({ error, retry }: { error: CombinedError | Error; retry?: () => void }) {
  const message =
    'graphQLErrors' in error && error.graphQLErrors.length > 0
      ? error.graphQLErrors.map((e) => e.message).join('; ')
      : 'networkError' in error && error.networkError
        ? `The gateway did not answer: ${error.networkError.message}`
        : error.message;
  const code = 'graphQLErrors' in error ? errorCode(error) : undefined;
  return (
    <div className="state state-error" role="alert">
      <strong>Something went wrong{code ? ` (${code})` : ''}.</strong> {message}
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
