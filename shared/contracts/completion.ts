import { z } from 'zod';
import { TrafficClassSchema } from './policy.js';

/** A tool call the model asked for; `arguments` is the JSON text the model produced. */
export const ToolCallSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** The provider-neutral conversation format: every adapter converts it to and from its wire format losslessly. */
export const MessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().nullable().default(null),
    toolCalls: z.array(ToolCallSchema).optional(),
  }),
  z.object({
    role: z.literal('tool'),
    toolCallId: z.string().min(1),
    name: z.string().optional(),
    content: z.string(),
  }),
]);
export type Message = z.infer<typeof MessageSchema>;

export const ToolSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  /** JSON Schema of the arguments. */
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
});
export type Tool = z.infer<typeof ToolSchema>;

export const CompletionParamsSchema = z.object({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  maxTokens: z.number().int().positive().max(1_000_000).optional(),
  stop: z.array(z.string()).max(4).optional(),
  tools: z.array(ToolSchema).optional(),
  toolChoice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string() })]).optional(),
  /** Ask for token log-probabilities (used by the confidence guard). */
  logprobs: z.boolean().optional(),
});
export type CompletionParams = z.infer<typeof CompletionParamsSchema>;

export const CompletionRequestSchema = z.object({
  trafficClass: TrafficClassSchema.default('non_critical'),
  messages: z.array(MessageSchema).min(1, 'messages must not be empty'),
  params: CompletionParamsSchema.default({}),
  /** JSON Schema the answer must match; a non-matching answer is a `low_quality` failure. */
  responseSchema: z.record(z.string(), z.unknown()).optional(),
  sensitive: z.boolean().default(false),
  /** Pins a route (by id) as the first tier, ahead of the class's tiers; the class's fallbacks still apply. */
  route: z.string().min(1).optional(),
  tags: z.array(z.string()).default([]),
  metadata: z.record(z.string(), z.string()).default({}),
  userId: z.string().optional(),
  appId: z.string().optional(),
  featureId: z.string().optional(),
  workflowId: z.string().optional(),
  idempotencyKey: z.string().max(200).optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
export type CompletionRequestInput = z.input<typeof CompletionRequestSchema>;

export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'refusal', 'error'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export const DEGRADED_REASONS = [
  'fallback',
  'uncertain',
  'budget_downgrade',
  'cache',
  'default_response',
  'queued',
  'paused',
  'human_review',
] as const;
export type DegradedReason = (typeof DEGRADED_REASONS)[number];

/** What the caller gets back. `status` says whether an answer is here now or will come later by id. */
export interface CompletionResult {
  status: 'answered' | 'queued' | 'in_review';
  content: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  source: 'provider' | 'cache' | 'default_response' | 'queue' | 'human_review';
  routeId: string | null;
  provider: string | null;
  model: string | null;
  /** Zero-based index of the tier that answered. */
  tier: number | null;
  degraded: boolean;
  degradedReasons: DegradedReason[];
  /** The answer came from a stand-in (budget model or guessed default): tell the user. */
  uncertain: boolean;
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  attempts: number;
  decisionId: string;
  policyVersion: number;
  /** Set when `status` is `queued` or `in_review`. */
  jobId?: string;
}
