import { useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { formatDateTime, formatPercent } from '../lib/format.js';
import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { fieldIssues } from './field-issues.js';
import { FormField } from './form-field.js';
import { errorCode } from './states.js';

export const ReviewItemCard_ReviewItemFragment = graphql(`
  fragment ReviewItemCard_ReviewItemFragment on ReviewItem {
    id
    jobId
    tenantId
    status
    prompt
    createdAt
    answer
    candidateIndex
    reviewedAt
    candidates {
      routeId
      content
      confidence
    }
  }
`);

const AnswerReviewMutation = graphql(`
  mutation AnswerReviewMutation($id: ID!, $answer: String!) {
    answerReview(id: $id, answer: $answer) {
      id
      jobId
      status
    }
  }
`);

const ApproveReviewMutation = graphql(`
  mutation ApproveReviewMutation($id: ID!, $candidateIndex: Int!) {
    approveReview(id: $id, candidateIndex: $candidateIndex) {
      id
      jobId
      status
    }
  }
`);

export const CONFLICT_MESSAGE = 'Someone already answered this item.';

/** The server's words, except CONFLICT: another reviewer was first, which deserves a plain sentence. */
function reviewError(error: CombinedError | undefined): string | undefined {
  if (!error) return undefined;
  return errorCode(error) === 'CONFLICT' ? CONFLICT_MESSAGE : fieldIssues(error, []).general;
}

export interface ReviewItemCardProps {
  item: FragmentOf<typeof ReviewItemCard_ReviewItemFragment>;
  tenantName: string;
  /** Viewers (and tenant keys) read only: the server refuses their answers. */
  canReview: boolean;
  /** Called with the job id once the server took the verdict. */
  onAnswered(jobId: string): void;
}

/** One review item: who and when, the redacted prompt, the candidates to approve, and a free answer. */
export function ReviewItemCard({ item: masked, tenantName, canReview, onAnswered }: ReviewItemCardProps) {
  const item = readFragment(ReviewItemCard_ReviewItemFragment, masked);
  const [text, setText] = useState('');
  const [emptyError, setEmptyError] = useState<string | undefined>();
  const [answerResult, answerReview] = useMutation(AnswerReviewMutation);
  const [approveResult, approveReview] = useMutation(ApproveReviewMutation);
  const busy = answerResult.fetching || approveResult.fetching;
  const pending = item.status === 'pending';
  const headingId = `review-${item.id}`;

  const approve = async (candidateIndex: number) => {
    const result = await approveReview({ id: item.id, candidateIndex });
    if (result.data) onAnswered(result.data.approveReview.jobId);
  };

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === '') {
      setEmptyError('Write an answer before sending.');
      return;
    }
    setEmptyError(undefined);
    const result = await answerReview({ id: item.id, answer: text });
    if (result.data) onAnswered(result.data.answerReview.jobId);
  };

  const approveError = reviewError(approveResult.error);
  const answerError = emptyError ?? reviewError(answerResult.error);

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {tenantName} · <time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time>
      </h2>
      <p>
        <span className={`badge ${item.status}`}>{item.status}</span> job <code>{item.jobId}</code>
      </p>
      <h3>Prompt</h3>
      {item.prompt === null ? (
        <p className="notice">The prompt was cleared once answered.</p>
      ) : (
        <pre style={{ whiteSpace: 'pre-wrap' }}>{item.prompt}</pre>
      )}
      <h3>Candidate answers</h3>
      {item.candidates.length === 0 ? (
        <p className="notice">No candidate answers: write one below.</p>
      ) : (
        <ol>
          {item.candidates.map((c, i) => (
            <li key={i}>
              <p>
                <code>{c.routeId}</code> · confidence {formatPercent(c.confidence)}
                {item.candidateIndex === i && <span className="badge ok">approved</span>}
              </p>
              <pre style={{ whiteSpace: 'pre-wrap' }}>{c.content}</pre>
              {pending && canReview && (
                <button type="button" disabled={busy} onClick={() => void approve(i)}>
                  Approve candidate {i + 1}
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
      {approveError && (
        <p className="field-error" role="alert">
          {approveError}
        </p>
      )}
      {!pending && item.answer !== null && (
        <>
          <h3>Answer</h3>
          <pre style={{ whiteSpace: 'pre-wrap' }}>{item.answer}</pre>
          {item.reviewedAt && <p className="notice">Answered at {formatDateTime(item.reviewedAt)}.</p>}
        </>
      )}
      {pending && canReview && (
        <form onSubmit={send} noValidate aria-label={`Answer for ${tenantName}`}>
          <FormField label="Your answer" error={answerError}>
            {(control) => <textarea {...control} rows={4} value={text} onChange={(e) => setText(e.target.value)} />}
          </FormField>
          <button type="submit" disabled={busy}>
            {answerResult.fetching ? 'Sending…' : 'Send answer'}
          </button>
        </form>
      )}
    </section>
  );
}
