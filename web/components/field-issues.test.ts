import { CombinedError } from 'urql';
import { describe, expect, it } from 'vitest';
import { fieldIssues } from './field-issues.js';

const badInput = (issues: { path: string; message: string }[]) =>
  new CombinedError({ graphQLErrors: [{ message: 'invalid input', extensions: { code: 'BAD_USER_INPUT', issues } }] });

describe('fieldIssues', () => {
  it('puts each BAD_USER_INPUT issue beside the field its path ends in', () => {
    const error = badInput([
      { path: 'input.threshold', message: 'Too small' },
      { path: 'input.scope.routeId', message: 'no route "x"' },
    ]);
    expect(fieldIssues(error, ['threshold', 'routeId'])).toEqual({
      fields: { threshold: 'Too small', routeId: 'no route "x"' },
    });
  });

  it('keeps issues no field owns as one general message, with their path', () => {
    const error = badInput([{ path: 'tenantId', message: 'tenant "a" has no prepaid balance; set one first' }]);
    expect(fieldIssues(error, ['amountUsd'])).toEqual({
      fields: {},
      general: 'tenantId: tenant "a" has no prepaid balance; set one first',
    });
  });

  it('shows other errors with the server message', () => {
    const error = new CombinedError({ graphQLErrors: [{ message: 'admins only', extensions: { code: 'FORBIDDEN' } }] });
    expect(fieldIssues(error, ['x'])).toEqual({ fields: {}, general: 'admins only' });
    expect(fieldIssues(undefined, ['x'])).toEqual({ fields: {} });
  });
});
