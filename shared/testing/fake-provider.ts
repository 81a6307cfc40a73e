import { ProviderError } from '../engine/errors.js';
import type { Failure } from '../engine/failure-kinds.js';
import type {
  Clock,
  ProviderAdapter,
  ProviderCall,
  ProviderResolver,
  ProviderResult,
  ProviderStreamEvent,
} from '../engine/ports.js';
import type { FailureKind } from '../contracts/decision.js';

/** One scripted reaction of a fake route. */
export type Step =
  | { answer?: string; result?: Partial<ProviderResult>; delayMs?: number }
  | { fail: FailureKind | Failure; delayMs?: number }
  | { hang: true }
  /** Streams `chunks` (one per fake-clock `gapMs`), then fails with `thenFail` or finishes. */
  | { chunks: string[]; thenFail?: FailureKind; gapMs?: number };

/** A call the fake saw, for assertions. */
export interface SeenCall {
  routeId: string;
  atMs: number;
  aborted: boolean;
  messages?: ProviderCall['messages'];
}

export interface FakeProviders {
  resolve: ProviderResolver;
  /** Queues steps for a route; when its queue is empty it answers `ok from <route>`. */
  script(routeId: string, ...steps: Step[]): void;
  /** Makes every call to the route react with `step` from now on. */
  always(routeId: string, step: Step): void;
  calls: SeenCall[];
  callsTo(routeId: string): number;
}

/** A scripted provider for every route, on the fake clock: delays and hangs are clock timers, never real time. */
export function createFakeProviders(clock: Clock): FakeProviders {
  const queues = new Map<string, Step[]>();
  const fixed = new Map<string, Step>();
  const calls: SeenCall[] = [];

  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const cancel = clock.setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (cancel(), reject(signal.reason)), { once: true });
    });

  const adapter: ProviderAdapter = {
    async complete(call: ProviderCall, signal: AbortSignal): Promise<ProviderResult> {
      const seen: SeenCall = { routeId: call.route.id, atMs: clock.now(), aborted: false };
      calls.push(seen);
      signal.addEventListener('abort', () => (seen.aborted = true), { once: true });
      const step = queues.get(call.route.id)?.shift() ?? fixed.get(call.route.id) ?? {};
      if ('hang' in step)
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      if ('chunks' in step) {
        if (step.thenFail) throw new ProviderError({ kind: step.thenFail, message: `scripted ${step.thenFail}` });
        return { ...ok(call), content: step.chunks.join('') };
      }
      if (step.delayMs) await wait(step.delayMs, signal);
      if ('fail' in step) {
        const failure =
          typeof step.fail === 'string' ? { kind: step.fail, message: `scripted ${step.fail}` } : step.fail;
        throw new ProviderError(failure);
      }
      return { ...ok(call), ...(step.answer !== undefined && { content: step.answer }), ...step.result };
    },
    async *stream(call: ProviderCall, signal: AbortSignal): AsyncGenerator<ProviderStreamEvent> {
      const seen: SeenCall = { routeId: call.route.id, atMs: clock.now(), aborted: false, messages: call.messages };
      calls.push(seen);
      signal.addEventListener('abort', () => (seen.aborted = true), { once: true });
      const step = queues.get(call.route.id)?.shift() ?? fixed.get(call.route.id) ?? {};
      if ('hang' in step)
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      if ('fail' in step) {
        if ('delayMs' in step && step.delayMs) await wait(step.delayMs, signal);
        const failure =
          typeof step.fail === 'string' ? { kind: step.fail, message: `scripted ${step.fail}` } : step.fail;
        throw new ProviderError(failure);
      }
      const chunks =
        'chunks' in step
          ? step.chunks
          : ((step as { answer?: string }).answer ?? `ok from ${call.route.id}`).split(/(?<= )/);
      for (const text of chunks) {
        if ('gapMs' in step && step.gapMs) await wait(step.gapMs, signal);
        yield { type: 'text', text };
      }
      if ('chunks' in step && step.thenFail)
        throw new ProviderError({ kind: step.thenFail, message: `scripted ${step.thenFail}` });
      yield {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 10, outputTokens: chunks.length },
        model: call.route.model,
      };
    },
  };
  const ok = (call: ProviderCall): ProviderResult => ({
    content: `ok from ${call.route.id}`,
    toolCalls: [],
    finishReason: 'stop',
    usage: { inputTokens: 10, outputTokens: 5 },
    model: call.route.model,
  });

  return {
    resolve: () => adapter,
    script: (routeId, ...steps) => queues.set(routeId, [...(queues.get(routeId) ?? []), ...steps]),
    always: (routeId, step) => fixed.set(routeId, step),
    calls,
    callsTo: (routeId) => calls.filter((c) => c.routeId === routeId).length,
  };
}
