import {
  CompletionRequestSchema,
  DEGRADED_REASONS,
  FINISH_REASONS,
  type CompletionResult,
} from '../../../shared/contracts/completion.js';
import { TRAFFIC_CLASSES } from '../../../shared/contracts/policy.js';
import type { EngineStreamEvent } from '../../../shared/engine/stream-session.js';
import { builder } from '../builder.js';
import { assertAuthenticated } from '../context.js';
import { clientError, toGraphQLError } from '../errors.js';

export const TrafficClassEnum = builder.enumType('TrafficClass', { values: TRAFFIC_CLASSES });
const RoleEnum = builder.enumType('MessageRole', { values: ['system', 'user', 'assistant', 'tool'] as const });
const FinishReasonEnum = builder.enumType('FinishReason', { values: FINISH_REASONS });
export const DegradedReasonEnum = builder.enumType('DegradedReason', { values: DEGRADED_REASONS });
const StatusEnum = builder.enumType('CompletionStatus', { values: ['answered', 'queued', 'in_review'] as const });
const SourceEnum = builder.enumType('CompletionSource', {
  values: ['provider', 'cache', 'default_response', 'queue', 'human_review'] as const,
});
const StreamModeEnum = builder.enumType('StreamFailoverMode', { values: ['continue', 'restart', 'fail'] as const });

const ToolCallInput = builder.inputType('ToolCallInput', {
  fields: (t) => ({
    id: t.string({ required: true }),
    name: t.string({ required: true }),
    arguments: t.string({ required: true }),
  }),
});
const MessageInput = builder.inputType('MessageInput', {
  fields: (t) => ({
    role: t.field({ type: RoleEnum, required: true }),
    content: t.string(),
    toolCalls: t.field({ type: [ToolCallInput] }),
    toolCallId: t.string(),
    name: t.string(),
  }),
});
const ParamsInput = builder.inputType('CompletionParamsInput', {
  fields: (t) => ({
    temperature: t.float(),
    topP: t.float(),
    maxTokens: t.int(),
    stop: t.stringList(),
    tools: t.field({ type: 'JSON', description: 'Tools: [{ name, description, parameters (JSON Schema) }].' }),
    toolChoice: t.field({ type: 'JSON' }),
    logprobs: t.boolean(),
  }),
});
export const CompleteInput = builder.inputType('CompleteInput', {
  fields: (t) => ({
    trafficClass: t.field({ type: TrafficClassEnum }),
    messages: t.field({ type: [MessageInput], required: true }),
    params: t.field({ type: ParamsInput }),
    responseSchema: t.field({ type: 'JSON', description: 'JSON Schema the answer must match.' }),
    sensitive: t.boolean(),
    tags: t.stringList(),
    metadata: t.field({ type: 'JSON' }),
    userId: t.string(),
    appId: t.string(),
    featureId: t.string(),
    workflowId: t.string(),
    idempotencyKey: t.string(),
    tenantId: t.string({ description: 'Admins only: the tenant to act for (defaults to `default`).' }),
  }),
});

const Usage = builder.objectRef<CompletionResult['usage']>('Usage').implement({
  fields: (t) => ({ inputTokens: t.exposeInt('inputTokens'), outputTokens: t.exposeInt('outputTokens') }),
});
const ToolCall = builder.objectRef<CompletionResult['toolCalls'][number]>('ToolCall').implement({
  fields: (t) => ({ id: t.exposeString('id'), name: t.exposeString('name'), arguments: t.exposeString('arguments') }),
});

export const Completion = builder.objectRef<CompletionResult>('Completion').implement({
  fields: (t) => ({
    status: t.field({ type: StatusEnum, resolve: (r) => r.status }),
    content: t.exposeString('content'),
    toolCalls: t.field({ type: [ToolCall], resolve: (r) => r.toolCalls }),
    finishReason: t.field({ type: FinishReasonEnum, resolve: (r) => r.finishReason }),
    source: t.field({ type: SourceEnum, resolve: (r) => r.source }),
    routeId: t.exposeString('routeId', { nullable: true }),
    provider: t.exposeString('provider', { nullable: true }),
    model: t.exposeString('model', { nullable: true }),
    tier: t.exposeInt('tier', { nullable: true }),
    degraded: t.exposeBoolean('degraded'),
    degradedReasons: t.field({ type: [DegradedReasonEnum], resolve: (r) => r.degradedReasons }),
    uncertain: t.exposeBoolean('uncertain'),
    usage: t.field({ type: Usage, resolve: (r) => r.usage }),
    costUsd: t.exposeFloat('costUsd'),
    latencyMs: t.exposeInt('latencyMs'),
    attempts: t.exposeInt('attempts'),
    decisionId: t.exposeString('decisionId'),
    policyVersion: t.exposeInt('policyVersion'),
    jobId: t.exposeString('jobId', { nullable: true }),
  }),
});

const FallbackInfo = builder.objectRef<Extract<EngineStreamEvent, { type: 'fallback' }>>('StreamFallback').implement({
  fields: (t) => ({
    fromRouteId: t.exposeString('fromRouteId'),
    toRouteId: t.exposeString('toRouteId'),
    reason: t.exposeString('reason'),
    mode: t.exposeString('mode'),
    afterChars: t.exposeInt('afterChars'),
  }),
});
const StreamEventType = builder.enumType('CompletionStreamEventType', {
  values: ['text', 'tool_call', 'fallback', 'done'] as const,
});
const StreamEvent = builder.objectRef<EngineStreamEvent>('CompletionStreamEvent').implement({
  description: 'One event of a streamed completion: text deltas, tool-call deltas, a fallback switch, then done.',
  fields: (t) => ({
    type: t.field({ type: StreamEventType, resolve: (e) => e.type }),
    text: t.string({ nullable: true, resolve: (e) => (e.type === 'text' ? e.text : null) }),
    toolCall: t.field({
      type: 'JSON',
      nullable: true,
      resolve: (e) =>
        e.type === 'tool_call' ? { index: e.index, id: e.id, name: e.name, argumentsDelta: e.argumentsDelta } : null,
    }),
    fallback: t.field({ type: FallbackInfo, nullable: true, resolve: (e) => (e.type === 'fallback' ? e : null) }),
    result: t.field({ type: Completion, nullable: true, resolve: (e) => (e.type === 'done' ? e.result : null) }),
  }),
});

type CompleteArgs = typeof CompleteInput.$inferInput;

/** GraphQL input -> the shared zod contract; a bad field becomes BAD_USER_INPUT naming it. */
export function parseCompleteInput(input: CompleteArgs) {
  const { tenantId, messages, params, ...rest } = input;
  const candidate = {
    ...stripNulls(rest),
    messages: messages.map((m) => stripNulls(m)),
    ...(params && { params: stripNulls(params) }),
  };
  const parsed = CompletionRequestSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw clientError('BAD_USER_INPUT', `invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      issues,
    });
  }
  return { tenantId: tenantId ?? null, request: parsed.data };
}

function stripNulls<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

builder.mutationField('complete', (t) =>
  t.field({
    type: Completion,
    description: 'Runs one completion through the tenant’s fallback policy.',
    args: { input: t.arg({ type: CompleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const principal = assertAuthenticated(ctx);
      const { tenantId, request } = parseCompleteInput(input);
      try {
        return await ctx.services.completions.complete(principal, {
          tenantId,
          request,
          requestId: ctx.requestId,
          signal: ctx.signal,
        });
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  }),
);

builder.subscriptionField('completeStream', (t) =>
  t.field({
    type: StreamEvent,
    description:
      'Streams a completion: text and tool-call deltas, fallback events, then a `done` event with the result.',
    args: { input: t.arg({ type: CompleteInput, required: true }), mode: t.arg({ type: StreamModeEnum }) },
    subscribe: async function* (_root, { input, mode }, ctx) {
      const principal = assertAuthenticated(ctx);
      const { tenantId, request } = parseCompleteInput(input);
      try {
        yield* ctx.services.completions.stream(
          principal,
          { tenantId, request, requestId: ctx.requestId, signal: ctx.signal },
          mode ?? undefined,
        );
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
    resolve: (event) => event,
  }),
);
