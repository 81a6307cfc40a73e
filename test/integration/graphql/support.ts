import { count } from 'drizzle-orm';
import { expect } from 'vitest';
import {
  apiKeys,
  auditLog,
  budgets,
  decisions,
  policyVersions,
  spendLedger,
  tenants,
} from '../../../drizzle/schema/index.js';
import type { Decision } from '../../../shared/contracts/decision.js';
import { attemptRecord, decision } from '../../../shared/testing/decision-fixtures.js';
import type { TestBackstop } from '../../support/backstop.js';

type GqlResult = Awaited<ReturnType<TestBackstop['gql']>>;

/** Row counts of every table an admin mutation writes, to prove a rejected one wrote nothing. */
export async function rowCounts(tb: TestBackstop): Promise<Record<string, number>> {
  const db = tb.services.database.db;
  const tables = { tenants, apiKeys, budgets, spendLedger, policyVersions, auditLog, decisions };
  const entries = await Promise.all(
    Object.entries(tables).map(async ([name, table]) => {
      const [row] = await db.select({ n: count() }).from(table);
      return [name, row!.n] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** The response failed with exactly one error of `code`; returns that error. */
export function expectError(res: GqlResult, code: string) {
  expect(res.errors, JSON.stringify(res)).toHaveLength(1);
  expect(res.errors![0]!.extensions?.code).toBe(code);
  return res.errors![0]!;
}

/** The response has no errors; returns its data, typed as the caller says. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test data is read by shape, checked by assertions
export function expectData<T = Record<string, any>>(res: { data?: unknown; errors?: unknown }): T {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

/** Runs a mutation that must fail with `code` and checks that no table changed. */
export async function expectRejected(
  tb: TestBackstop,
  code: string,
  run: () => Promise<GqlResult>,
): Promise<NonNullable<GqlResult['errors']>[number]> {
  const before = await rowCounts(tb);
  const error = expectError(await run(), code);
  expect(await rowCounts(tb)).toEqual(before);
  return error;
}

export const COMPLETE = /* GraphQL */ `
  mutation Complete($input: CompleteInput!) {
    complete(input: $input) {
      decisionId
      policyVersion
      routeId
    }
  }
`;

/** A completion input for `COMPLETE`. */
export const ask = (content = 'What is the capital of France?', extra: Record<string, unknown> = {}) => ({
  input: { trafficClass: 'critical', messages: [{ role: 'user', content }], ...extra },
});

/** A decision as the engine would record it: a failed primary, then a fallback that answered. */
export function fallbackDecision(id: string, tenantId: string, startedAtMs: number): Decision {
  const attempt = (index: number, routeId: string, ok: boolean) =>
    attemptRecord({
      index,
      tier: index,
      routeId,
      provider: routeId.startsWith('claude') ? 'anthropic' : 'openai',
      model: routeId,
      outcome: ok ? 'success' : 'failure',
      ...(!ok && { failureKind: 'server_error' as const, status: 500 }),
      startedAtMs: startedAtMs + index * 10,
      latencyMs: 10,
      inputTokens: ok ? 12 : 0,
      outputTokens: ok ? 8 : 0,
      costUsd: ok ? 0.001 : 0,
    });
  return decision({
    id,
    tenantId,
    outcome: 'degraded',
    finalRouteId: 'claude-sonnet-4',
    finalTier: 1,
    degraded: true,
    degradedReasons: ['fallback'],
    attempts: [attempt(0, 'gpt-4o', false), attempt(1, 'claude-sonnet-4', true)],
    startedAtMs,
    totalLatencyMs: 20,
    inputTokens: 12,
    outputTokens: 8,
  });
}
