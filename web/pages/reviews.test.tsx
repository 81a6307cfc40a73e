// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockClient, renderWithClient, TEST_SESSION, type Responder } from '../lib/testing.js';
import { ReviewsPage } from './reviews.js';

const ID = '11111111-1111-4111-8111-111111111111';

const reviewItem = (over: Record<string, unknown> = {}) => ({
  __typename: 'ReviewItem',
  id: ID,
  jobId: 'job-7',
  tenantId: 'acme',
  status: 'pending',
  prompt: 'Refund order for [EMAIL]?',
  createdAt: '2025-03-01T10:00:00.000Z',
  answer: null,
  candidateIndex: null,
  reviewedAt: null,
  candidates: [
    { routeId: 'gpt-4o', content: 'Yes, refund it.', confidence: 0.42 },
    { routeId: 'claude', content: 'Ask for the receipt first.', confidence: null },
  ],
  ...over,
});

const page = (items: unknown[] = [reviewItem()]) => ({
  reviewItems: items,
  tenants: [{ id: 'acme', name: 'Acme' }],
});

const answered = { id: ID, jobId: 'job-7', status: 'answered' };

function answer(data: unknown, mutations: Record<string, unknown> = {}): Responder {
  return (name) => (name === 'ReviewsQuery' ? data : mutations[name]);
}

const item = async () => (await screen.findByRole('heading', { name: /Acme/ })).closest('section')!;

describe('ReviewsPage', () => {
  afterEach(cleanup);

  it('lists pending items newest first with the prompt, candidates, routes and confidence', async () => {
    const mock = createMockClient(
      answer(page([reviewItem(), reviewItem({ id: 'r2', tenantId: 'beta', createdAt: '2025-03-02T10:00:00.000Z' })])),
    );
    renderWithClient(<ReviewsPage />, mock);
    const first = await item();
    expect(within(first).getByText('Refund order for [EMAIL]?')).toBeTruthy();
    expect(within(first).getByText('Yes, refund it.')).toBeTruthy();
    expect(first.textContent).toContain('gpt-4o · confidence 42.0%');
    expect(first.textContent).toContain('claude · confidence –');
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings[0]).toMatch(/^beta/);
    expect(headings[1]).toMatch(/^Acme/);
    expect(mock.calls[0]).toMatchObject({ name: 'ReviewsQuery', variables: { status: 'pending', tenantId: null } });
  });

  it('asks for answered items of one tenant when the filters change', async () => {
    const mock = createMockClient(answer(page()));
    renderWithClient(<ReviewsPage />, mock);
    await item();
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'answered');
    await userEvent.selectOptions(screen.getByLabelText('Tenant'), 'acme');
    await waitFor(() =>
      expect(mock.calls.filter((c) => c.name === 'ReviewsQuery').at(-1)?.variables).toMatchObject({
        status: 'answered',
        tenantId: 'acme',
      }),
    );
  });

  it('approves a candidate with the item id and its 0-based index, then confirms and refetches', async () => {
    const mock = createMockClient(answer(page(), { ApproveReviewMutation: { approveReview: answered } }));
    renderWithClient(<ReviewsPage />, mock);
    await userEvent.click(within(await item()).getByRole('button', { name: 'Approve candidate 2' }));
    expect(mock.calls.find((c) => c.name === 'ApproveReviewMutation')?.variables).toEqual({
      id: ID,
      candidateIndex: 1,
    });
    expect((await screen.findByRole('status')).textContent).toBe(
      'Answered: delivered to the waiting client (job job-7)',
    );
    expect(mock.calls.filter((c) => c.name === 'ReviewsQuery')).toHaveLength(2);
  });

  it('sends the written answer', async () => {
    const mock = createMockClient(answer(page(), { AnswerReviewMutation: { answerReview: answered } }));
    renderWithClient(<ReviewsPage />, mock);
    await userEvent.type(within(await item()).getByLabelText('Your answer'), 'Refund approved.');
    await userEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    expect(mock.calls.find((c) => c.name === 'AnswerReviewMutation')?.variables).toEqual({
      id: ID,
      answer: 'Refund approved.',
    });
    await screen.findByText(/Answered: delivered to the waiting client \(job job-7\)/);
  });

  it('refuses an empty answer inline and sends nothing', async () => {
    const mock = createMockClient(answer(page()));
    renderWithClient(<ReviewsPage />, mock);
    await userEvent.type(within(await item()).getByLabelText('Your answer'), '   ');
    await userEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    expect(screen.getByRole('alert').textContent).toBe('Write an answer before sending.');
    expect(mock.calls.some((c) => c.kind === 'mutation')).toBe(false);
  });

  it('says someone else answered when the server answers CONFLICT', async () => {
    const conflict = Object.assign(new Error('review item already answered'), { code: 'CONFLICT' });
    const mock = createMockClient(answer(page(), { ApproveReviewMutation: conflict }));
    renderWithClient(<ReviewsPage />, mock);
    await userEvent.click(within(await item()).getByRole('button', { name: 'Approve candidate 1' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Someone already answered this item.');
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('shows the empty state when nothing waits for review', async () => {
    renderWithClient(<ReviewsPage />, createMockClient(answer(page([]))));
    expect(await screen.findByText('No requests are waiting for review.')).toBeTruthy();
  });

  it('shows loading, then the server error with a retry', async () => {
    renderWithClient(
      <ReviewsPage />,
      createMockClient(() => undefined),
    );
    expect(screen.getByRole('status').textContent).toContain('Loading the review queue');
    cleanup();
    renderWithClient(
      <ReviewsPage />,
      createMockClient(() => new Error('not signed in')),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('not signed in');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('gives viewers the queue read-only: no approve or answer controls', async () => {
    renderWithClient(<ReviewsPage />, createMockClient(answer(page())), '/', { ...TEST_SESSION, role: 'viewer' });
    const section = await item();
    expect(within(section).getByText('Yes, refund it.')).toBeTruthy();
    expect(within(section).queryByRole('button')).toBeNull();
    expect(within(section).queryByLabelText('Your answer')).toBeNull();
    expect(screen.getByText(/Read-only/)).toBeTruthy();
  });

  it('refetches when a review job changes, not for other jobs', async () => {
    const mock = createMockClient(answer(page()));
    renderWithClient(<ReviewsPage />, mock);
    await item();
    mock.push('ReviewQueueSubscription', { jobUpdated: { id: 'j1', kind: 'retry', status: 'queued' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(mock.calls.filter((c) => c.name === 'ReviewsQuery')).toHaveLength(1);
    mock.push('ReviewQueueSubscription', { jobUpdated: { id: 'j2', kind: 'review', status: 'in_review' } });
    await waitFor(() => expect(mock.calls.filter((c) => c.name === 'ReviewsQuery')).toHaveLength(2));
  });
});
