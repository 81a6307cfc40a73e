// Shared by the job suites: completions that end deferred, and the GraphQL reads of their jobs.
import { and, eq } from 'drizzle-orm';
import { decisions } from '../../../drizzle/schema/index.js';
import type { TestBackstop } from '../../support/backstop.js';
import { expectData } from '../graphql/support.js';

/** The simulator models behind the internal class's two routes (gpt-4.1-nano, then gemini-2.0-flash). */
export const INTERNAL_MODELS = ['gpt-4.1-nano', 'gemini-2.0-flash'] as const;

/** Makes every route of the internal (and batch) class answer HTTP 500, or heals them. */
export function setInternalRoutesFailing(tb: TestBackstop, failing: boolean) {
  for (const model of INTERNAL_MODELS) {
    if (failing) tb.sim.setProfile(model, { errorRates: { 500: 1 } });
    else tb.sim.clearProfile(model);
  }
}

export const COMPLETE = /* GraphQL */ `
  mutation Complete($input: CompleteInput!) {
    complete(input: $input) {
      status
      source
      content
      jobId
      decisionId
      degradedReasons
    }
  }
`;

export interface Deferred {
  status: string;
  source: string;
  content: string;
  jobId: string | null;
  decisionId: string;
  degradedReasons: string[];
}

/** One completion through GraphQL that must not error; returns what `complete` said. */
export async function complete(
  tb: TestBackstop,
  trafficClass: string,
  content: string,
  options: { key?: string; metadata?: Record<string, string> } = {},
): Promise<Deferred> {
  const input = {
    trafficClass,
    messages: [{ role: 'user', content }],
    ...(options.metadata && { metadata: options.metadata }),
  };
  return expectData<{ complete: Deferred }>(await tb.gql(COMPLETE, { input }, options.key)).complete;
}

export const JOB_FIELDS = /* GraphQL */ `
  id
  tenantId
  kind
  status
  trafficClass
  decisionId
  reason
  attempts
  errorCode
  error
  result {
    status
    content
    source
    routeId
    decisionId
    degradedReasons
  }
`;

export const JOB = /* GraphQL */ `
  query Job($id: ID!) {
    job(id: $id) { ${JOB_FIELDS} }
  }
`;

export interface JobData {
  id: string;
  tenantId: string;
  kind: string;
  status: string;
  trafficClass: string;
  decisionId: string;
  reason: string;
  attempts: number;
  errorCode: string | null;
  error: string | null;
  result: {
    status: string;
    content: string;
    source: string;
    routeId: string | null;
    decisionId: string;
    degradedReasons: string[];
  } | null;
}

/** `job(id)` as the given key sees it (null when it may not). */
export async function job(tb: TestBackstop, id: string, key?: string): Promise<JobData | null> {
  return expectData<{ job: JobData | null }>(await tb.gql(JOB, { id }, key)).job;
}

/** The decision rows recorded under a job id, after flushing the decision buffer. */
export async function decisionsOfJob(tb: TestBackstop, jobId: string) {
  await tb.services.decisions.flush();
  return tb.services.database.db.select().from(decisions).where(eq(decisions.jobId, jobId));
}

/** Decision rows of one tenant with one outcome, after flushing. */
export async function decisionsWith(tb: TestBackstop, tenantId: string, outcome: string) {
  await tb.services.decisions.flush();
  return tb.services.database.db
    .select()
    .from(decisions)
    .where(and(eq(decisions.tenantId, tenantId), eq(decisions.outcome, outcome)));
}

/** Requests the simulator received for a model, whatever their outcome. */
export function simRequests(tb: TestBackstop, model: string): number {
  return tb.sim.stats().models[model]?.requests ?? 0;
}
