import { z } from 'zod';
import {
  CompletionRequestSchema,
  type CompletionRequest,
  type CompletionRequestInput,
  type Message,
} from '../../shared/contracts/completion.js';
import { TRAFFIC_CLASSES, type TrafficClass } from '../../shared/contracts/policy.js';
import { findInputProblem } from './input-limits.js';
import { errorReply, invalidRequest, type OpenAIErrorReply } from './openai-errors.js';

// Loose objects: clients send fields Backstop has no use for (seed, store, parallel_tool_calls, ...), and rejecting
// them would break unchanged applications. Nullish: some clients send explicit nulls for unset fields.
const TextPartSchema = z.looseObject({
  type: z.literal('text', { error: 'only text content parts are supported' }),
  text: z.string(),
});
const ContentSchema = z.union([z.string(), z.array(TextPartSchema)]).nullish();

const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: ContentSchema,
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.literal('function').optional(),
        function: z.looseObject({ name: z.string(), arguments: z.string() }),
      }),
    )
    .nullish(),
  tool_call_id: z.string().nullish(),
});

const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional() }),
  }),
]);

/** The body of `POST /v1/chat/completions`, structurally; ranges are the shared contract's to check. */
export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  max_tokens: z.number().nullish(),
  max_completion_tokens: z.number().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function', { error: 'only function tools are supported' }),
        function: z.looseObject({
          name: z.string(),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .nullish(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
    ])
    .nullish(),
  response_format: ResponseFormatSchema.nullish(),
  logprobs: z.boolean().nullish(),
  user: z.string().nullish(),
  n: z.literal(1, { error: 'only n=1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** Backstop fields sent as headers (`x-backstop-class`, ...), raw; `parseChatRequest` validates them. */
export interface BackstopHints {
  trafficClass?: string | undefined;
  featureId?: string | undefined;
  userId?: string | undefined;
  tenantId?: string | undefined;
  sensitive?: string | undefined;
  idempotencyKey?: string | undefined;
}

const HINT_HEADERS = {
  trafficClass: 'x-backstop-class',
  featureId: 'x-backstop-feature',
  userId: 'x-backstop-user',
  tenantId: 'x-backstop-tenant',
  sensitive: 'x-backstop-sensitive',
  idempotencyKey: 'idempotency-key',
} as const satisfies Record<keyof BackstopHints, string>;

/** Reads the Backstop headers of a request; absent or empty headers are undefined. */
export function hintsFromHeaders(headers: Headers): BackstopHints {
  const entries = Object.entries(HINT_HEADERS).map(([field, name]) => [field, headers.get(name)?.trim() || undefined]);
  return Object.fromEntries(entries) as BackstopHints;
}

/** A chat request ready for the completion service. */
export interface ParsedChatRequest {
  request: CompletionRequest;
  tenantId: string | undefined;
  /** The `model` the caller sent: a traffic class or a route id. */
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

export type ParseResult = { ok: true; value: ParsedChatRequest } | { ok: false; error: OpenAIErrorReply };

const isTrafficClass = (s: string): s is TrafficClass => (TRAFFIC_CLASSES as readonly string[]).includes(s);

/**
 * Converts an OpenAI chat body plus the Backstop headers to a `CompletionRequest`, validated by the shared schema.
 * `model` is a traffic class or a route id of `routes` (pinned; class from the header, else `non_critical`).
 * A body nested too deeply or holding U+0000 is refused first (see `findInputProblem`).
 */
export function parseChatRequest(
  body: unknown,
  hints: BackstopHints,
  routes: { has(id: string): boolean },
): ParseResult {
  const problem = findInputProblem(body);
  if (problem) {
    const name = formatPath(problem.path) || null;
    return { ok: false, error: invalidRequest(name ? `Invalid '${name}': ${problem.message}` : problem.message, name) };
  }
  const shape = ChatRequestSchema.safeParse(body);
  if (!shape.success) return { ok: false, error: issueReply(shape.error.issues[0]!, (p) => formatPath(p)) };
  const b = shape.data;
  const asClass = isTrafficClass(b.model);
  if (!asClass && !routes.has(b.model)) {
    const message = `The model \`${b.model}\` does not exist: use a traffic class (${TRAFFIC_CLASSES.join(', ')}) or a route id.`;
    return { ok: false, error: errorReply(404, 'invalid_request_error', 'model_not_found', message, 'model') };
  }
  let sensitive: boolean | undefined;
  if (hints.sensitive !== undefined) {
    sensitive = { true: true, false: false }[hints.sensitive.toLowerCase()];
    if (sensitive === undefined)
      return { ok: false, error: invalidRequest("must be 'true' or 'false'", HINT_HEADERS.sensitive) };
  }
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  const input: CompletionRequestInput = {
    trafficClass: (asClass ? b.model : (hints.trafficClass ?? 'non_critical')) as TrafficClass,
    ...(!asClass && { route: b.model }),
    messages: b.messages.map(toMessage) as Message[],
    params: definedOnly({
      temperature: b.temperature,
      topP: b.top_p,
      maxTokens,
      stop: typeof b.stop === 'string' ? [b.stop] : b.stop,
      tools: b.tools?.map(({ function: f }) => ({
        name: f.name,
        ...definedOnly({ description: f.description, parameters: f.parameters }),
      })),
      toolChoice:
        typeof b.tool_choice === 'object' && b.tool_choice ? { name: b.tool_choice.function.name } : b.tool_choice,
      logprobs: b.logprobs,
    }),
    ...definedOnly({
      responseSchema: toResponseSchema(b.response_format),
      sensitive,
      userId: hints.userId ?? b.user,
      featureId: hints.featureId,
      idempotencyKey: hints.idempotencyKey,
      metadata: b.metadata,
    }),
  };
  const parsed = CompletionRequestSchema.safeParse(input);
  if (!parsed.success) {
    const names = {
      trafficClass: asClass ? 'model' : HINT_HEADERS.trafficClass,
      maxTokens: b.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens',
      userId: hints.userId !== undefined ? HINT_HEADERS.userId : 'user',
    };
    return { ok: false, error: issueReply(parsed.error.issues[0]!, (p) => toOpenAIParam(p, names)) };
  }
  return {
    ok: true,
    value: {
      request: parsed.data,
      tenantId: hints.tenantId,
      model: b.model,
      stream: b.stream ?? false,
      includeUsage: b.stream_options?.include_usage ?? false,
    },
  };
}

function toMessage(m: ChatRequest['messages'][number]): Record<string, unknown> {
  const content = Array.isArray(m.content) ? m.content.map((p) => p.text).join('') : (m.content ?? undefined);
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content };
    case 'user':
      return { role: 'user', content };
    case 'assistant': {
      const toolCalls = m.tool_calls?.map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments,
      }));
      return { role: 'assistant', content: content ?? null, ...(toolCalls?.length && { toolCalls }) };
    }
    case 'tool':
      return { role: 'tool', toolCallId: m.tool_call_id ?? undefined, content };
  }
}

function toResponseSchema(format: ChatRequest['response_format']): Record<string, unknown> | undefined {
  if (!format || format.type === 'text') return undefined;
  // json_object promises "some JSON object"; the schema that says exactly that lets the quality guard check it.
  if (format.type === 'json_object') return { type: 'object' };
  const schema = format.json_schema.schema ?? {};
  // The title carries the schema's name to an OpenAI-format upstream, which sends it as `json_schema.name`.
  return typeof schema.title === 'string' ? schema : { title: format.json_schema.name, ...schema };
}

function definedOnly<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  const out: Record<string, unknown> = {};
  for (const key in o) if (o[key] !== undefined && o[key] !== null) out[key] = o[key];
  return out as never;
}

function issueReply(first: z.core.$ZodIssue, param: (path: PropertyKey[]) => string): OpenAIErrorReply {
  const issue = deepest(first);
  const name = param(issue.path) || null;
  return invalidRequest(name ? `Invalid '${name}': ${issue.message}` : issue.message, name);
}

// A union (string or parts) fails as a whole; the option that got furthest names the real problem
// (`messages[0].content[1].type`, not `messages[0].content`).
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const firsts = issue.errors.map((option) => option[0]).filter((i) => i !== undefined);
  const best = firsts.sort((a, b) => b.path.length - a.path.length)[0];
  return best && best.path.length > 0 ? deepest({ ...best, path: [...issue.path, ...best.path] }) : issue;
}

/** `['messages', 0, 'content']` -> `messages[0].content`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
    '',
  );
}

const PARAM_NAMES: Readonly<Record<string, string>> = {
  topP: 'top_p',
  toolChoice: 'tool_choice',
  responseSchema: 'response_format',
  route: 'model',
  featureId: HINT_HEADERS.featureId,
  idempotencyKey: HINT_HEADERS.idempotencyKey,
  sensitive: HINT_HEADERS.sensitive,
};

/** Maps a path of the shared contract back to the OpenAI field (or Backstop header) the caller sent. */
export function toOpenAIParam(path: readonly PropertyKey[], names: Record<string, string> = {}): string {
  const [head, ...rest] = path[0] === 'params' ? path.slice(1) : path;
  const key = String(head);
  if (key === 'messages' && typeof rest[0] === 'number') {
    const [i, field, j, sub] = rest;
    if (field === 'toolCallId') return `messages[${String(i)}].tool_call_id`;
    if (field === 'toolCalls') {
      const tail = sub === undefined ? '' : sub === 'id' ? '.id' : `.function.${String(sub)}`;
      return `messages[${String(i)}].tool_calls${j === undefined ? '' : `[${String(j)}]`}${tail}`;
    }
    return formatPath(['messages', ...rest]);
  }
  if (key === 'tools' && typeof rest[0] === 'number')
    return formatPath(['tools', rest[0], 'function', ...rest.slice(1)]);
  if (key === 'stop') return 'stop';
  return names[key] ?? PARAM_NAMES[key] ?? formatPath([key, ...rest]);
}
