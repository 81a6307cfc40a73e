import type { CombinedError } from 'urql';
import type { DraftIssue } from '../pages/policy-draft.js';
import { issuesOf } from './policy-publish.js';
import { errorCode } from './states.js';

/** A refused replay split for the panel: window issues beside the pickers, draft issues by field, the rest as one line. */
export interface ReplayIssues {
  window: Partial<Record<'from' | 'to', string>>;
  draft: DraftIssue[];
  general?: string;
}

/**
 * Reads a `whatIfReplay` error: BAD_USER_INPUT names `input.from` / `input.to` for the window, and the draft's own
 * paths (`classes.critical.tiers.0.routes.0`) for the policy; null for any other error (shown as it is, with a retry).
 */
export function replayIssues(error: CombinedError | undefined): ReplayIssues | null {
  if (!error || errorCode(error) !== 'BAD_USER_INPUT') return null;
  const issues = issuesOf(error.graphQLErrors[0]?.extensions);
  if (issues.length === 0) return { window: {}, draft: [], general: error.graphQLErrors[0]?.message ?? error.message };
  const found: ReplayIssues = { window: {}, draft: [] };
  const rest: string[] = [];
  for (const issue of issues) {
    const field = /^input\.(from|to)$/.exec(issue.path)?.[1] as 'from' | 'to' | undefined;
    if (field) found.window[field] ??= issue.message;
    else if (issue.path.startsWith('input')) rest.push(issue.message);
    else found.draft.push(issue);
  }
  return rest.length > 0 ? { ...found, general: rest.join('; ') } : found;
}
