import type { CombinedError } from 'urql';

/** A mutation error split for a form: messages by field, and one message for what no field owns. */
export interface FieldIssues<F extends string> {
  fields: Partial<Record<F, string>>;
  general?: string;
}

interface Issue {
  path: string;
  message: string;
}

const isIssue = (i: unknown): i is Issue =>
  !!i && typeof i === 'object' && typeof (i as Issue).path === 'string' && typeof (i as Issue).message === 'string';

/**
 * Reads BAD_USER_INPUT's `extensions.issues` (see server/graphql/validation.ts): an issue whose path ends in one of
 * `fields` (e.g. `input.scope.routeId` -> `routeId`) goes beside that field; the rest, and any other error, read as
 * one general message with the server's words.
 */
export function fieldIssues<F extends string>(error: CombinedError | undefined, fields: readonly F[]): FieldIssues<F> {
  if (!error) return { fields: {} };
  const first = error.graphQLErrors[0];
  const issues = first?.extensions?.code === 'BAD_USER_INPUT' ? first.extensions.issues : undefined;
  if (!Array.isArray(issues) || !issues.every(isIssue)) {
    const general =
      error.graphQLErrors.length > 0
        ? error.graphQLErrors.map((e) => e.message).join('; ')
        : error.networkError
          ? `The gateway did not answer: ${error.networkError.message}`
          : error.message;
    return { fields: {}, general };
  }
  const byField: Partial<Record<F, string>> = {};
  const rest: string[] = [];
  for (const issue of issues) {
    const last = issue.path.split('.').at(-1) as F;
    if (fields.includes(last) && byField[last] === undefined) byField[last] = issue.message;
    else rest.push(`${issue.path}: ${issue.message}`);
  }
  return rest.length > 0 ? { fields: byField, general: rest.join('; ') } : { fields: byField };
}
