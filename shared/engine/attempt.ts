import type { ClassPolicy } from '../contracts/policy.js';
import { isProviderError } from './errors.js';
import { classifyFailure, type Failure } from './failure-kinds.js';
import type { Clock, ProviderCall, ProviderResolver, ProviderResult } from './ports.js';
import { checkQuality } from './quality-guards.js';
import { withTimeout } from './timeout.js';

export type AttemptOutcome =
  | { ok: true; result: ProviderResult; latencyMs: number }
  /**
   * `result` is set when the provider answered but the answer failed a quality guard (its tokens were still used).
   * `final` ends the request: no retry, no fallback (a stream that broke mid-way under the `fail` mode).
   */
  | { ok: false; failure: Failure; latencyMs: number; result?: ProviderResult; final?: boolean };

export interface InvokeOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  quality: ClassPolicy['quality'];
}

/** One upstream call as the tier loop sees it: a plain completion, or a stream forwarded to the caller. */
export type Invoke = (call: ProviderCall, options: InvokeOptions) => Promise<AttemptOutcome>;

/** Makes exactly one upstream call with the tier's timeout, then classifies the error or guards the answer. */
export async function callRoute(
  deps: { clock: Clock; providers: ProviderResolver },
  call: ProviderCall,
  options: InvokeOptions,
): Promise<AttemptOutcome> {
  const { clock } = deps;
  const started = clock.now();
  const adapter = deps.providers(call.route);
  if (!adapter) {
    const failure: Failure = { kind: 'not_found', message: `no adapter for provider "${call.route.provider}"` };
    return { ok: false, failure, latencyMs: 0 };
  }
  const timed = await withTimeout(clock, options.timeoutMs, options.signal, (signal) => adapter.complete(call, signal));
  const latencyMs = clock.now() - started;
  if (!timed.ok) {
    const failure = timed.timedOut
      ? { kind: 'timeout' as const, message: `no answer within ${options.timeoutMs} ms`, cause: timed.error }
      : isProviderError(timed.error)
        ? timed.error.failure
        : classifyFailure({ error: timed.error, nowMs: clock.now() });
    return { ok: false, failure, latencyMs };
  }
  const result = timed.value;
  // A content filter finish is the provider's verdict on the request, not a quality problem of the answer.
  if (result.finishReason === 'content_filter') {
    return { ok: false, failure: classifyFailure({ finishReason: 'content_filter' }), latencyMs, result };
  }
  const bad = checkQuality(result, options.quality, call.responseSchema);
  return bad ? { ok: false, failure: bad, latencyMs, result } : { ok: true, result, latencyMs };
}
