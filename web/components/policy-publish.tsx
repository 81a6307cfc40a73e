import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../lib/graphql.js';
import { fieldId, type Draft, type DraftIssue, type IssueMap } from '../pages/policy-draft.js';
import { FieldIssues, invalidProps } from './policy-fields.js';
import { errorCode } from './states.js';

export const PublishPolicyMutation = graphql(`
  mutation PublishPolicyMutation($scope: String!, $document: JSON!, $note: String) {
    publishPolicy(scope: $scope, document: $document, note: $note) {
      id
      version
      status
    }
  }
`);

/** The `extensions.issues` of a BAD_USER_INPUT answer, when it carries them. */
export function issuesOf(extensions: Record<string, unknown> | undefined): DraftIssue[] {
  const issues = extensions?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter((i): i is DraftIssue => typeof i?.path === 'string' && typeof i?.message === 'string');
}

export interface PolicyPublishProps {
  scope: string;
  draft: Draft;
  dirty: boolean;
  /** Why publishing is not possible now, e.g. the draft has problems; null when it is. */
  blocked: string | null;
  issues: IssueMap;
  onPublished(version: number): void;
  /** The server refused `sent` and named the fields at fault. */
  onRejected(issues: DraftIssue[], sent: Draft): void;
  onReset(): void;
}

/** Note, Publish and Reset: publishing makes the draft the scope's next version, live for the next request. */
export function PolicyPublish({
  scope,
  draft,
  dirty,
  blocked,
  issues,
  onPublished,
  onRejected,
  onReset,
}: PolicyPublishProps) {
  const [note, setNote] = useState('');
  const [published, setPublished] = useState<number | null>(null);
  const [state, publish] = useMutation(PublishPolicyMutation);
  const noteId = fieldId('note');

  const submit = async () => {
    setPublished(null);
    const sent = draft;
    const result = await publish({ scope, document: sent, note: note.trim() || null });
    if (result.data) {
      setPublished(result.data.publishPolicy.version);
      setNote('');
      onPublished(result.data.publishPolicy.version);
    } else if (errorCode(result.error) === 'BAD_USER_INPUT') {
      onRejected(issuesOf(result.error?.graphQLErrors[0]?.extensions), sent);
    }
  };

  return (
    <section className="panel" aria-labelledby="policy-publish-heading">
      <h2 id="policy-publish-heading">Publish</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div style={{ flex: '1 1 320px' }}>
          <label htmlFor={noteId}>Note (optional)</label>
          <input
            id={noteId}
            value={note}
            maxLength={500}
            placeholder="What changed and why"
            style={{ width: '100%' }}
            onChange={(e) => setNote(e.target.value)}
            {...invalidProps('note', issues)}
          />
          <FieldIssues field="note" issues={issues} />
        </div>
        <button type="submit" disabled={blocked !== null || state.fetching}>
          {state.fetching ? 'Publishing…' : 'Publish'}
        </button>
        <button type="button" className="secondary" disabled={!dirty || state.fetching} onClick={onReset}>
          Reset draft
        </button>
      </form>
      {blocked && <p className="notice">{blocked}</p>}
      {state.error && !state.fetching && (
        <p className="field-error" role="alert">
          Not published: {state.error.graphQLErrors[0]?.message ?? state.error.message}
        </p>
      )}
      {published !== null && (
        <p className="success-note" role="status">
          Published version {published}.
        </p>
      )}
    </section>
  );
}
