import { CombinedError } from 'urql';
import { describe, expect, it } from 'vitest';
import { replayIssues } from './replay-issues.js';

const badInput = (issues: { path: string; message: string }[]) =>
  new CombinedError({
    graphQLErrors: [{ message: 'invalid input', extensions: { code: 'BAD_USER_INPUT', issues } }],
  });

describe('replayIssues', () => {
  it('puts window issues beside from and to, draft issues by their path, and the rest in one line', () => {
    const issues = replayIssues(
      badInput([
        { path: 'input.to', message: 'must be after input.from' },
        { path: 'classes.batch.tiers.0.routes.0', message: 'unknown route "x"' },
        { path: 'input', message: 'more than 200000 decisions: narrow the window' },
      ]),
    );
    expect(issues).toEqual({
      window: { to: 'must be after input.from' },
      draft: [{ path: 'classes.batch.tiers.0.routes.0', message: 'unknown route "x"' }],
      general: 'more than 200000 decisions: narrow the window',
    });
  });

  it('leaves any other error to the generic error state', () => {
    const forbidden = new CombinedError({ graphQLErrors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] });
    expect(replayIssues(forbidden)).toBeNull();
    expect(replayIssues(undefined)).toBeNull();
  });
});
