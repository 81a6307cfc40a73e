import type { CompletionResult, Message, ToolCall, Usage } from '../contracts/completion.js';
import type { FailureKind } from '../contracts/decision.js';
import { createAsyncChannel } from './async-channel.js';
import { createContinuationFilter } from './continuation-filter.js';
import type { AttemptOutcome, Invoke } from './attempt.js';
import { isProviderError } from './errors.js';
import { classifyFailure, type Failure } from './failure-kinds.js';
import type { Clock, ProviderResolver, ProviderResult } from './ports.js';

/** What happens when a stream breaks after text reached the caller. */
export type StreamFailoverMode = 'continue' | 'restart' | 'fail';

export type EngineStreamEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta: string }
  /** The answer moved to another route; with `restart`, the caller discards the `discardChars` it already has. */
  | {
      type: 'fallback';
      fromRouteId: string;
      toRouteId: string;
      reason: FailureKind;
      mode: 'transparent' | 'continue' | 'restart';
      afterChars: number;
    }
  | { type: 'done'; result: CompletionResult };

/** Sent after the partial answer so that any model picks up where the broken stream stopped. */
export const CONTINUE_INSTRUCTION =
  'Your previous message was cut off. Continue it exactly where it stopped, without repeating any text already written.';

/** The streaming side of one request: an `Invoke` for the tier loop that forwards text to the caller's iterator. */
export function createStreamSession(deps: { clock: Clock; providers: ProviderResolver }, mode: StreamFailoverMode) {
  const channel = createAsyncChannel<EngineStreamEvent>();
  let written = '';
  let last: { routeId: string; failure: Failure } | undefined;

  const invoke: Invoke = async (call, options): Promise<AttemptOutcome> => {
    const { clock } = deps;
    const started = clock.now();
    const adapter = deps.providers(call.route);
    if (!adapter)
      return {
        ok: false,
        failure: { kind: 'not_found', message: `no adapter for "${call.route.provider}"` },
        latencyMs: 0,
      };
    const switching = last !== undefined;
    const continuing = written.length > 0 && mode === 'continue';
    if (switching) {
      channel.push({
        type: 'fallback',
        fromRouteId: last!.routeId,
        toRouteId: call.route.id,
        reason: last!.failure.kind,
        mode: written.length === 0 ? 'transparent' : mode === 'restart' ? 'restart' : 'continue',
        afterChars: written.length,
      });
      if (mode === 'restart') written = '';
    }
    const messages: Message[] = continuing
      ? [...call.messages, { role: 'assistant', content: written }, { role: 'user', content: CONTINUE_INSTRUCTION }]
      : call.messages;

    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    // An idle timeout: the tier's timeout applies to the first token and to every gap between chunks.
    let cancelTimer = () => {};
    const arm = () => {
      cancelTimer();
      cancelTimer = clock.setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException(`no stream data within ${options.timeoutMs} ms`, 'TimeoutError'));
      }, options.timeoutMs);
    };
    const toolCalls: ToolCall[] = [];
    const filter = createContinuationFilter(continuing ? written : '');
    const emitText = (text: string) => {
      if (!text) return;
      written += text;
      channel.push({ type: 'text', text });
    };
    try {
      arm();
      const events = adapter.stream
        ? adapter.stream({ ...call, messages }, controller.signal)
        : oneShot(adapter.complete({ ...call, messages }, controller.signal));
      for await (const ev of events) {
        arm();
        if (ev.type === 'text') {
          emitText(filter.push(ev.text));
        } else if (ev.type === 'tool_call') {
          const tc = (toolCalls[ev.index] ??= { id: ev.id ?? '', name: ev.name ?? '', arguments: '' });
          if (ev.id) tc.id = ev.id;
          if (ev.name) tc.name = ev.name;
          tc.arguments += ev.argumentsDelta;
          channel.push(ev);
        } else {
          emitText(filter.end());
          const usage: Usage = ev.usage;
          if (ev.finishReason === 'content_filter') throw classifyFailure({ finishReason: 'content_filter' });
          if (!written.trim() && toolCalls.length === 0 && options.quality.nonEmpty) {
            throw { kind: 'low_quality', message: 'empty answer' } satisfies Failure;
          }
          const result = {
            content: written,
            toolCalls,
            finishReason: ev.finishReason,
            usage,
            ...(ev.model && { model: ev.model }),
          };
          last = undefined;
          return { ok: true, result, latencyMs: clock.now() - started };
        }
      }
      throw { kind: 'stream_interrupted', message: 'stream ended without a finish event' } satisfies Failure;
    } catch (error) {
      const failure: Failure = timedOut
        ? { kind: 'timeout', message: `no stream data within ${options.timeoutMs} ms` }
        : isFailure(error)
          ? error
          : isProviderError(error)
            ? error.failure
            : classifyFailure({ error, nowMs: clock.now() });
      last = { routeId: call.route.id, failure };
      const midway = written.length > 0;
      return { ok: false, failure, latencyMs: clock.now() - started, final: midway && mode === 'fail' };
    } finally {
      cancelTimer();
      controller.abort();
      options.signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    invoke,
    events: channel as AsyncIterable<EngineStreamEvent>,
    done: (result: CompletionResult) => {
      channel.push({ type: 'done', result });
      channel.close();
    },
    fail: (error: unknown) => channel.fail(error),
  };
}

function isFailure(e: unknown): e is Failure {
  return typeof e === 'object' && e !== null && typeof (e as Failure).kind === 'string' && !(e instanceof Error);
}

async function* oneShot(p: Promise<ProviderResult>) {
  const r = await p;
  if (r.content) yield { type: 'text' as const, text: r.content };
  for (const [index, tc] of r.toolCalls.entries()) {
    yield { type: 'tool_call' as const, index, id: tc.id, name: tc.name, argumentsDelta: tc.arguments };
  }
  yield { type: 'finish' as const, finishReason: r.finishReason, usage: r.usage, ...(r.model && { model: r.model }) };
}
