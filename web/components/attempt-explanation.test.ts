import { describe, expect, it } from 'vitest';
import { explainAttempt, type ExplainableAttempt } from './attempt-explanation.js';

const base: ExplainableAttempt = { routeId: 'gpt-main', tier: 0, outcome: 'failure', retry: 0, latencyMs: 120 };
const attempt = (over: Partial<ExplainableAttempt>): ExplainableAttempt => ({ ...base, ...over });

describe('explainAttempt', () => {
  it('says a rate-limited call was retried on the same route', () => {
    const a = attempt({ failureKind: 'rate_limited', status: 429 });
    expect(explainAttempt(a, attempt({ retry: 1, outcome: 'success' }))).toBe(
      'rate_limited (HTTP 429) — retried on the same route',
    );
  });

  it('gives the time a timeout waited and the tier it moved to', () => {
    const a = attempt({ failureKind: 'timeout', latencyMs: 12000 });
    expect(explainAttempt(a, attempt({ routeId: 'claude-b', tier: 1, outcome: 'success' }))).toBe(
      'timeout after 12000 ms — moved to fallback 1',
    );
  });

  it('says retries were exhausted when a retried route moves on to the next tier', () => {
    const a = attempt({ failureKind: 'server_error', status: 500, retry: 2 });
    expect(explainAttempt(a, attempt({ routeId: 'claude-b', tier: 1 }))).toBe(
      'server_error (HTTP 500) — retries exhausted, moved to fallback 1',
    );
  });

  it('names the other route when the fallback stays in the same tier', () => {
    const a = attempt({ failureKind: 'overloaded', status: 529 });
    expect(explainAttempt(a, attempt({ routeId: 'gpt-backup' }))).toBe(
      'overloaded (HTTP 529) — moved to gpt-backup in the same tier',
    );
  });

  it('says a kind that is never retried moved on without a retry', () => {
    const a = attempt({ failureKind: 'auth', status: 401 });
    expect(explainAttempt(a, attempt({ routeId: 'claude-b', tier: 2 }))).toBe(
      'auth (HTTP 401) — not retried, moved to fallback 2',
    );
  });

  it('explains a skipped route by its skip reason', () => {
    expect(explainAttempt(attempt({ outcome: 'skipped', skipReason: 'circuit_open' }))).toBe('skipped: breaker open');
    expect(explainAttempt(attempt({ outcome: 'skipped', skipReason: 'budget_downgrade' }))).toBe(
      'skipped: the budget band allows only cheaper routes',
    );
    expect(explainAttempt(attempt({ outcome: 'skipped', skipReason: 'something_new' }))).toBe('skipped: something_new');
  });

  it('says the request stopped after a failure no other route would fix', () => {
    expect(explainAttempt(attempt({ failureKind: 'content_policy', status: 400 }))).toBe(
      'content_policy (HTTP 400) — another route would fail the same way, so the request stopped',
    );
  });

  it('says nothing followed the last failed attempt', () => {
    expect(explainAttempt(attempt({ failureKind: 'network', tier: 2 }))).toBe('network — no further attempt');
  });

  it('says an attempt answered, and on which retry', () => {
    expect(explainAttempt(attempt({ outcome: 'success' }))).toBe('answered');
    expect(explainAttempt(attempt({ outcome: 'success', retry: 1 }))).toBe('answered on retry 1');
  });
});
