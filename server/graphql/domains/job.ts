import { filter, pipe } from 'graphql-yoga';
import { z } from 'zod';
import { JOB_KINDS, JOB_STATUSES, MAX_JOB_PAGE, toJobView, type JobView } from '../../services/job-store.js';
import { builder } from '../builder.js';
import { assertAdmin, assertAuthenticated, tenantScope } from '../context.js';
import { clientError } from '../errors.js';
import { parseInput } from '../validation.js';
import { Completion, TrafficClassEnum } from './completion.js';
import { Tenant } from './tenant.js';

const JobKindEnum = builder.enumType('JobKind', {
  description: 'retry: queued after every route failed; resume: a paused batch request; review: for a person.',
  values: JOB_KINDS,
});
export const JobStatusEnum = builder.enumType('JobStatus', { values: JOB_STATUSES });

/** A deferred request, by the job id `complete` returned. */
export const Job = builder.objectRef<JobView>('Job').implement({
  description:
    'A request that will be answered later: queued for a retry, a paused batch request, or waiting for review. ' +
    'Its result arrives here, and on `jobUpdated(id)`.',
  fields: (t) => ({
    id: t.exposeID('id'),
    tenantId: t.exposeString('tenantId'),
    kind: t.field({ type: JobKindEnum, resolve: (j) => j.kind }),
    status: t.field({ type: JobStatusEnum, resolve: (j) => j.status }),
    trafficClass: t.field({ type: TrafficClassEnum, resolve: (j) => j.trafficClass }),
    decisionId: t.exposeString('decisionId', {
      description: 'The decision that deferred it; later runs record decisions with this job id.',
    }),
    reason: t.exposeString('reason', { description: 'Why it was deferred, or why its last run did not finish it.' }),
    attempts: t.exposeInt('attempts', { description: 'Runs started by workers.' }),
    result: t.field({
      type: Completion,
      nullable: true,
      description: 'The answer, once done (from a route, or from a reviewer).',
      resolve: (j) => j.result,
    }),
    errorCode: t.exposeString('errorCode', {
      nullable: true,
      description: 'Set when failed: QUOTA_EXHAUSTED, RETRIES_EXHAUSTED, ...',
    }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (j) => new Date(j.createdAtMs) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (j) => new Date(j.updatedAtMs) }),
  }),
});

builder.objectField(Tenant, 'batchPaused', (t) =>
  t.exposeBoolean('batchPaused', {
    description: 'Batch requests are held as resume jobs, without a provider call, until `resumeBatch`.',
  }),
);

builder.queryFields((t) => ({
  job: t.field({
    type: Job,
    nullable: true,
    description: 'One job by id; null when there is none, or when it belongs to another tenant than the caller’s.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const principal = assertAuthenticated(ctx);
      const row = await ctx.services.jobs.store.get(String(id));
      // Null, not FORBIDDEN: a tenant key must not learn that another tenant's job id exists.
      if (!row || (principal.role === 'tenant' && row.tenantId !== principal.tenantId)) return null;
      return toJobView(row);
    },
  }),
  jobs: t.field({
    type: [Job],
    description: 'Jobs, newest first. Tenant keys see only their own tenant’s.',
    args: {
      status: t.arg({ type: JobStatusEnum }),
      tenantId: t.arg.id({ description: 'Staff: only this tenant’s jobs.' }),
      first: t.arg.int({ description: `How many, 1 to ${MAX_JOB_PAGE}. Defaults to 50.` }),
    },
    resolve: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const first = parseInput(z.number().int().min(1).max(MAX_JOB_PAGE), args.first ?? 50, 'first');
      return ctx.services.jobs.store.list({
        first,
        ...(tenantId && { tenantId }),
        ...(args.status && { status: args.status }),
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  pauseBatch: t.field({
    type: Tenant,
    description:
      'Admins only. Holds the tenant’s batch requests as resume jobs, with no provider call, until `resumeBatch`; ' +
      'workers leave its queued batch jobs alone meanwhile. Audited.',
    args: { tenantId: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const row = await ctx.services.tenants.setBatchPaused(actor, String(args.tenantId), true);
      if (!row) throw clientError('NOT_FOUND', `no tenant "${args.tenantId}"`);
      return row;
    },
  }),
  resumeBatch: t.field({
    type: Tenant,
    description:
      'Admins only. Lets the tenant’s batch traffic run again and hands its held jobs to the workers. Audited.',
    args: { tenantId: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const actor = assertAdmin(ctx);
      const tenantId = String(args.tenantId);
      const row = await ctx.services.tenants.setBatchPaused(actor, tenantId, false);
      if (!row) throw clientError('NOT_FOUND', `no tenant "${tenantId}"`);
      await ctx.services.jobs.queue.release(tenantId);
      return row;
    },
  }),
}));

builder.subscriptionField('jobUpdated', (t) =>
  t.field({
    type: Job,
    description:
      'Changes of jobs as they happen (running, queued again, done with the result, failed, in review, answered). ' +
      'With `id`, that job’s only. Tenant keys receive their own tenant’s jobs only.',
    args: {
      id: t.arg.id({ description: 'Only this job.' }),
      tenantId: t.arg.id({ description: 'Staff: only this tenant’s jobs.' }),
    },
    subscribe: (_r, args, ctx) => {
      const tenantId = tenantScope(ctx, args.tenantId?.toString());
      const id = args.id?.toString();
      return pipe(
        ctx.services.monitoring.pubsub.subscribe('job:updated'),
        filter(
          (j: JobView) => (tenantId === undefined || j.tenantId === tenantId) && (id === undefined || j.id === id),
        ),
      );
    },
    resolve: (job) => job,
  }),
);
