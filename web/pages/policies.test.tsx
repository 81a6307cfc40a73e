// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CombinedError, type GraphQLRequest, type OperationResult } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { delay, fromValue, pipe } from 'wonka';
import { TEST_SESSION, createMockClient, renderWithClient, type MockClient } from '../lib/testing.js';
import { PoliciesPage } from './policies.js';
import type { Draft } from './policy-draft.js';
import { policiesAnswer } from './policy-fixture.js';

type Answers = Record<string, (variables: Record<string, unknown>) => unknown>;

const noChanges = {
  diffPolicy: { baseVersion: 3, valid: true, changes: [] },
  validatePolicy: { ok: true, issues: [] },
};

function mockWith(answers: Answers = {}): MockClient {
  const defaults: Answers = {
    PoliciesQuery: (v) => policiesAnswer(v.scope as string),
    PolicyDiffQuery: () => noChanges,
    CanaryPanelQuery: () => ({ canaries: [] }),
    ShadowPanelQuery: () => ({ shadowRoutes: [], routes: [] }),
    PublishPolicyMutation: () => ({ publishPolicy: { id: 'v4', version: 4, status: 'published' } }),
    RollbackPolicyMutation: (v) => ({
      rollbackPolicy: { id: `v${v.version}`, version: v.version, status: 'published' },
    }),
  };
  return createMockClient((name, variables) => ({ ...defaults, ...answers })[name]?.(variables));
}

const documentsSent = (mock: MockClient, name: string) =>
  mock.calls.filter((c) => c.name === name).map((c) => c.variables.document as Draft);

async function renderPage(mock: MockClient, session = TEST_SESSION) {
  renderWithClient(<PoliciesPage debounceMs={0} />, mock, '/policies', session);
  await screen.findByRole('heading', { name: 'Tiers by traffic class' });
}

describe('PoliciesPage', () => {
  afterEach(cleanup);

  it('shows every traffic class as a row and every tier of the published document as a cell', async () => {
    await renderPage(mockWith());
    const grid = screen.getByRole('table', { name: 'Routes and degradation per tier' });
    for (const cls of ['critical', 'non_critical', 'internal', 'batch', 'experiment'])
      expect(within(grid).getByRole('rowheader', { name: new RegExp(`^${cls}`) })).toBeTruthy();
    expect(
      within(grid)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Class', 'Primary', 'Fallback 1', 'Fallback 2', 'Fallback 3']);
    expect((screen.getByLabelText('critical primary route 1') as HTMLSelectElement).value).toBe('gpt-4o');
    expect((screen.getByLabelText('critical primary timeout (ms)') as HTMLInputElement).value).toBe('20000');
    expect((screen.getByLabelText('batch primary route 2') as HTMLSelectElement).value).toBe('claude-sonnet-4');
    expect((screen.getByLabelText('non_critical fallback 1 mode cache') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('experiment immediate hard stop') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('budget band conserve (%)') as HTMLInputElement).value).toBe('80');
  });

  it('sends the edited document to the diff query and lists the changes it answers', async () => {
    const mock = mockWith({
      PolicyDiffQuery: (v) => {
        const route = (v.document as Draft).classes.critical.tiers[0];
        const changed = route?.kind === 'routes' && route.routes[0] === 'claude-sonnet-4';
        const changes = changed
          ? [{ path: 'classes.critical.tiers.0.routes.0', kind: 'changed', before: 'gpt-4o', after: 'claude-sonnet-4' }]
          : [];
        return { ...noChanges, diffPolicy: { ...noChanges.diffPolicy, changes } };
      },
    });
    await renderPage(mock);
    await screen.findByText('No changes.');
    await userEvent.selectOptions(screen.getByLabelText('critical primary route 1'), 'claude-sonnet-4');
    await screen.findByText('classes.critical.tiers.0.routes.0');
    const last = documentsSent(mock, 'PolicyDiffQuery').at(-1)!;
    expect(last.classes.critical.tiers[0]).toMatchObject({ routes: ['claude-sonnet-4'] });
    expect(screen.getByText('changed').className).toBe('badge warn');
  });

  it('shows the schema error beside an invalid timeout, keeps what was typed, and disables Publish', async () => {
    await renderPage(mockWith());
    const timeout = screen.getByLabelText('critical primary timeout (ms)') as HTMLInputElement;
    await userEvent.clear(timeout);
    await userEvent.type(timeout, '9999999');
    expect(timeout.value).toBe('9999999');
    expect(timeout.getAttribute('aria-invalid')).toBe('true');
    const error = document.getElementById(timeout.getAttribute('aria-describedby')!);
    expect(error?.textContent).toBe('Too big: expected number to be <=600000');
    expect(screen.getByRole('heading', { name: 'Problems (1)' })).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Publish' }) as HTMLButtonElement).disabled).toBe(true);

    await userEvent.clear(timeout);
    await userEvent.type(timeout, '0');
    expect(document.getElementById(timeout.getAttribute('aria-describedby')!)?.textContent).toMatch(/Too small/);
  });

  it('shows the ordering error of the budget bands under the bands', async () => {
    await renderPage(mockWith());
    const downgrade = screen.getByLabelText('budget band downgrade (%)');
    await userEvent.clear(downgrade);
    await userEvent.type(downgrade, '90');
    const bands = screen.getByRole('region', { name: 'Budget bands' });
    expect(within(bands).getByText(/budget bands must be ordered/)).toBeTruthy();
  });

  it('shows the server’s catalogue issues inline and disables Publish', async () => {
    const unknown = { path: 'classes.critical.tiers.0.routes.0', message: 'unknown route "gpt-9"' };
    await renderPage(
      mockWith({ PolicyDiffQuery: () => ({ ...noChanges, validatePolicy: { ok: false, issues: [unknown] } }) }),
    );
    await screen.findAllByText('unknown route "gpt-9"');
    const route = screen.getByLabelText('critical primary route 1');
    expect(route.getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByRole('button', { name: 'Publish' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('publishes the draft with the note, says which version it made, and reloads', async () => {
    const mock = mockWith();
    await renderPage(mock);
    await userEvent.click(screen.getByLabelText('critical sensitive'));
    await userEvent.type(screen.getByLabelText('Note (optional)'), 'critical is sensitive');
    await userEvent.click(screen.getByRole('button', { name: 'Publish' }));
    expect((await screen.findByRole('status')).textContent).toBe('Published version 4.');
    const sent = mock.calls.find((c) => c.name === 'PublishPolicyMutation')!.variables;
    expect(sent).toMatchObject({ scope: 'global', note: 'critical is sensitive' });
    expect((sent.document as Draft).classes.critical.sensitive).toBe(true);
    await waitFor(() => expect(mock.calls.filter((c) => c.name === 'PoliciesQuery').length).toBe(2));
  });

  it('shows a refused publish inline: the message by the button and each issue by its field', async () => {
    const mock = mockWith();
    await renderPage(mock);
    const issue = { path: 'classes.batch.tiers.0.routes.1', message: 'unknown route "claude-sonnet-4"' };
    vi.mocked(mock.client.executeMutation).mockImplementationOnce((request: GraphQLRequest) => {
      const error = new CombinedError({
        graphQLErrors: [
          {
            message: `invalid policy: ${issue.path}: ${issue.message}`,
            extensions: { code: 'BAD_USER_INPUT', issues: [issue] },
          },
        ],
      });
      return pipe(
        fromValue({ operation: request, error, stale: false, hasNext: false } as unknown as OperationResult),
        delay(0),
      ) as never; // the client's result source is also thenable; urql's hooks only subscribe
    });
    await userEvent.click(screen.getByRole('button', { name: 'Publish' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Not published: invalid policy/);
    expect(screen.getByLabelText('batch primary route 2').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('shows a publish refused for another reason with the server’s message', async () => {
    const forbidden = Object.assign(new Error('admins only'), { code: 'FORBIDDEN' });
    await renderPage(mockWith({ PublishPolicyMutation: () => forbidden }));
    await userEvent.click(screen.getByRole('button', { name: 'Publish' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Not published: admins only');
  });

  it('rolls back to an older version after a confirmation', async () => {
    const mock = mockWith();
    await renderPage(mock);
    expect(screen.queryByRole('button', { name: 'Roll back to version 3' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Roll back to version 2' }));
    expect(mock.calls.some((c) => c.name === 'RollbackPolicyMutation')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Confirm rollback' }));
    expect((await screen.findByRole('status')).textContent).toBe('Version 2 is live again.');
    expect(mock.calls.find((c) => c.name === 'RollbackPolicyMutation')!.variables).toEqual({
      scope: 'global',
      version: 2,
    });
  });

  it('resets the draft to the published document', async () => {
    await renderPage(mockWith());
    const timeout = screen.getByLabelText('critical primary timeout (ms)') as HTMLInputElement;
    await userEvent.clear(timeout);
    await userEvent.type(timeout, '0');
    await userEvent.click(screen.getByRole('button', { name: 'Reset draft' }));
    expect(timeout.value).toBe('20000');
    expect(timeout.getAttribute('aria-invalid')).toBeNull();
  });

  it('says a tenant without its own policy starts from the global one', async () => {
    const mock = mockWith();
    renderWithClient(<PoliciesPage debounceMs={0} />, mock, '/policies?scope=acme');
    await screen.findByText(/has no policy of its own/);
    expect(screen.getByText(/No versions of its own yet/)).toBeTruthy();
    expect(mock.calls.find((c) => c.name === 'PoliciesQuery')!.variables).toEqual({ scope: 'acme' });
  });

  it('lets viewers look but not edit, publish or roll back', async () => {
    await renderPage(mockWith(), { ...TEST_SESSION, role: 'viewer' });
    expect((screen.getByLabelText('critical primary route 1') as HTMLSelectElement).disabled).toBe(true);
    expect((screen.getByLabelText('critical primary timeout (ms)') as HTMLInputElement).disabled).toBe(true);
    expect(screen.queryByRole('button', { name: 'Publish' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Roll back/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Add tier/ })).toBeNull();
  });

  it('shows why the policy could not be loaded', async () => {
    renderWithClient(
      <PoliciesPage />,
      createMockClient(() => new Error('database down')),
      '/policies',
    );
    expect((await screen.findByRole('alert')).textContent).toMatch(/database down/);
  });
});
