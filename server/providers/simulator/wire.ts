import type { Random } from '../../../shared/engine/ports.js';
import type { SimAnswer, SimRequest } from './answer.js';

/** The two provider dialects the simulator speaks. */
export type WireFormatName = 'openai' | 'anthropic';

/** Identity of one simulated response; ids come from the simulator's seeded id stream so runs replay exactly. */
export interface ResponseContext {
  id: string;
  toolCallId: string;
  requestId: string;
  model: string;
  /** Epoch seconds. */
  created: number;
  systemFingerprint: string;
}

/**
 * One server-sent event, already serialised. `head` frames come before the content (role chunk, message_start),
 * `content` frames carry text or argument deltas, `tail` frames finish the stream.
 */
export interface StreamFrame {
  part: 'head' | 'content' | 'tail';
  text: string;
}

/** A JSON body with its status. */
export interface WireReply {
  status: number;
  body: unknown;
}

/** One wire format: how to read its requests and write its answers, streams and errors. */
export interface WireFormat {
  name: WireFormatName;
  /** Header that carries the request id (`x-request-id` for OpenAI, `request-id` for Anthropic). */
  requestIdHeader: string;
  parse(body: unknown): { request: SimRequest } | { error: WireReply };
  /** The error envelope for an HTTP status (429, 500, 503, 529, 400, 404, ...). */
  error(status: number, message?: string, param?: string): WireReply;
  json(answer: SimAnswer, ctx: ResponseContext): unknown;
  frames(answer: SimAnswer, ctx: ResponseContext, request: SimRequest): StreamFrame[];
  /** The provider's mid-stream error event. */
  streamError(): string;
  /** `GET /v1/models` in this format. */
  models(ids: string[], createdSeconds: number): unknown;
  /** Fresh response, tool-call and request ids in the provider's shapes, drawn from `random`. */
  ids(random: Random): Pick<ResponseContext, 'id' | 'toolCallId' | 'requestId'>;
}

/** One SSE frame: `data: <json>` or, for named events, `event: <name>` first. */
export function sse(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random base-62 string of `length` characters drawn from `random`. */
export function randomId(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

/** First issue of a zod-style error as `{ path, message }`, with the path dotted (`messages.0.role`). */
export function firstIssue(issues: readonly { path: PropertyKey[]; message: string }[]): {
  path: string;
  message: string;
} {
  const issue = issues[0];
  return { path: issue ? issue.path.map(String).join('.') : '', message: issue?.message ?? 'invalid request' };
}
