import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../shared/engine/ports.js';
import type { SimAnswer, SimRequest } from './answer.js';
import { composeAnswer } from './answer.js';
import type { AnswerOutcome, SimOutcome } from './faults.js';
import { decideOutcome, hashString, sampleLatencyMs, statusOf } from './faults.js';
import type { SimulatorState } from './state.js';
import type { ResponseContext, StreamFrame, WireFormat, WireReply } from './wire.js';

/** What a completion handler needs from its simulator. */
export interface CompletionDeps {
  state: SimulatorState;
  clock: Clock;
  /** Skip every latency and chunk delay (benchmarks). Hangs still hang. */
  zeroDelay: boolean;
  /** Canned answers by model; models without one echo. */
  answers: Record<string, string>;
}

/** Header naming the outcome the simulator chose, for debugging and tests. */
export const OUTCOME_HEADER = 'x-simulator-outcome';

/** Writes a JSON reply with a content length (the way both providers answer non-streamed calls). */
export function sendJson(res: ServerResponse, reply: WireReply, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

// Resolves true after `ms`, or false as soon as the client has gone.
function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const cancel = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      cancel();
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function write(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => {
    // The callback runs once the chunk reaches the socket, or with an error if the client has gone.
    res.write(text, () => resolve());
  });
}

function fingerprint(model: string): string {
  const hex = hashString(model).toString(16).padStart(8, '0') + hashString(`fp:${model}`).toString(16).padStart(8, '0');
  return `fp_${hex.slice(0, 10)}`;
}

/**
 * Answers one completion request in `format`, after deciding from the model's profile whether it fails and how.
 * `body` is the parsed JSON body (undefined when it was not JSON).
 */
export async function handleCompletion(
  format: WireFormat,
  body: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  deps: CompletionDeps,
): Promise<void> {
  const { state, clock } = deps;
  const parsed =
    body === undefined ? { error: format.error(400, 'The request body is not valid JSON.') } : format.parse(body);
  if ('error' in parsed) {
    const model = (body as { model?: unknown } | undefined)?.model;
    state.record(typeof model === 'string' ? model : '(none)', 'bad_request');
    sendJson(res, parsed.error, { [OUTCOME_HEADER]: 'bad_request' });
    return;
  }
  const { request } = parsed;
  const profile = state.profileFor(request.model);
  const randoms = state.randomsFor(request.model);
  const outcome = decideOutcome(profile, randoms.outcome, clock.now(), request.stream);
  // Sampled for every request, used or not, so each stream advances the same way whatever the outcomes.
  const latencyMs = sampleLatencyMs(profile.latency, randoms.latency);
  const ctx: ResponseContext = {
    ...format.ids(state.idRandom()),
    model: request.model,
    created: Math.floor(clock.now() / 1000),
    systemFingerprint: fingerprint(request.model),
  };
  state.record(request.model, outcome);

  if (outcome === 'reset') {
    req.socket.resetAndDestroy();
    return;
  }
  if (outcome === 'hang') return; // The socket stays open until the client aborts or the simulator closes.

  const gone = new AbortController();
  res.once('close', () => gone.abort());
  if (!(await wait(clock, deps.zeroDelay ? 0 : latencyMs, gone.signal))) return;

  const headers = { [format.requestIdHeader]: ctx.requestId, [OUTCOME_HEADER]: outcome };
  const status = statusOf(outcome);
  if (status !== undefined) {
    const retryAfter: Record<string, string> =
      status === 429 ? { 'retry-after': String(profile.retryAfterSeconds ?? 1) } : {};
    sendJson(res, format.error(status), { ...headers, ...retryAfter });
    return;
  }

  const answerOutcome: AnswerOutcome = isAnswerOutcome(outcome) ? outcome : 'ok';
  const answer = composeAnswer(request, answerOutcome, deps.answers[request.model]);
  if (outcome === 'malformed') return sendMalformed(res, format, answer, ctx, request, headers);
  if (!request.stream) return sendJson(res, { status: 200, body: format.json(answer, ctx) }, headers);

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  const frames = format.frames(answer, ctx, request);
  const faultAfter = outcome === 'stream_error' ? profile.streamErrorAfterChunks : profile.streamDropAfterChunks;
  const cut = outcome === 'stream_error' || outcome === 'stream_drop' ? cutIndex(frames, faultAfter ?? 0) : -1;
  const chunkDelayMs = deps.zeroDelay ? 0 : (profile.chunkDelayMs ?? 0);
  let contentSent = 0;
  for (const [i, frame] of frames.entries()) {
    if (i === cut) {
      if (outcome === 'stream_error') res.end(format.streamError());
      else res.destroy(); // Everything before was flushed (awaited writes), so the client sees exactly `cut` frames.
      return;
    }
    if (frame.part === 'content' && contentSent++ > 0 && !(await wait(clock, chunkDelayMs, gone.signal))) return;
    if (gone.signal.aborted) return;
    await write(res, frame.text);
  }
  res.end();
}

function isAnswerOutcome(outcome: SimOutcome): outcome is AnswerOutcome {
  return outcome === 'ok' || outcome === 'empty' || outcome === 'low_quality' || outcome === 'content_filter';
}

// Where a stream fault strikes: before the (n+1)-th content frame, or before the tail when the answer is shorter.
function cutIndex(frames: StreamFrame[], n: number): number {
  const contents = frames.flatMap((f, i) => (f.part === 'content' ? [i] : []));
  return n < contents.length ? contents[n]! : frames.findIndex((f) => f.part === 'tail');
}

function sendMalformed(
  res: ServerResponse,
  format: WireFormat,
  answer: SimAnswer,
  ctx: ResponseContext,
  request: SimRequest,
  headers: Record<string, string>,
): void {
  // Half of a real body: a cut JSON object is never valid JSON, and it looks like a truncated upstream reply.
  const whole = request.stream
    ? format.frames(answer, ctx, request)[0]!.text.trimEnd()
    : JSON.stringify(format.json(answer, ctx));
  const body = whole.slice(0, Math.ceil(whole.length / 2)) + (request.stream ? '\n\n' : '');
  const type = request.stream ? 'text/event-stream; charset=utf-8' : 'application/json';
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
