// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useQuery, useSubscription } from 'urql';
import { graphql } from './graphql.js';
import { createMockClient, renderWithClient } from './testing.js';

const MeQuery = graphql(`
  query MeQuery {
    me {
      keyId
      role
    }
  }
`);
const AlertsFeed = graphql(`
  subscription AlertsFeed {
    alerts {
      id
      message
    }
  }
`);

function Probe() {
  const [me] = useQuery({ query: MeQuery });
  const [alerts] = useSubscription({ query: AlertsFeed }, (prev: string[] = [], data) => [
    ...prev,
    data.alerts.message,
  ]);
  return (
    <p>
      {me.data ? `role ${me.data.me.role}` : me.error ? `error ${me.error.message}` : 'loading'} /{' '}
      {(alerts.data ?? []).join(',')}
    </p>
  );
}

describe('createMockClient', () => {
  afterEach(cleanup);

  it('answers queries by operation name and delivers pushed subscription events', async () => {
    const mock = createMockClient((name) => (name === 'MeQuery' ? { me: { keyId: 'k', role: 'admin' } } : undefined));
    renderWithClient(<Probe />, mock);
    await screen.findByText(/role admin/);
    mock.push('AlertsFeed', { alerts: { id: '1', message: 'p95 high' } });
    await screen.findByText(/p95 high/);
    expect(mock.calls.map((c) => `${c.kind}:${c.name}`)).toEqual(['query:MeQuery', 'subscription:AlertsFeed']);
  });

  it('turns an Error answer into a query error', async () => {
    const mock = createMockClient(() => new Error('boom'));
    renderWithClient(<Probe />, mock);
    await screen.findByText(/error/);
  });
});
