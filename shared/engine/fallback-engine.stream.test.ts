import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema } from '../contracts/completion.js';
import type { PolicyInput } from '../contracts/policy.js';
import { ask, createEngineHarness } from '../testing/engine-harness.js';
import { CONTINUE_INSTRUCTION, type EngineStreamEvent, type StreamFailoverMode } from './stream-session.js';
import { isBackstopError } from './errors.js';

const noRetries = (p: PolicyInput): PolicyInput => {
  p.classes.non_critical.retry = { maxRetriesPerRoute: 0 };
  return p;
};

const setup = () => createEngineHarness({ policy: noRetries });

async function stream(h: ReturnType<typeof setup>, mode?: StreamFailoverMode) {
  const events: EngineStreamEvent[] = [];
  const collect = async () => {
    const request = CompletionRequestSchema.parse(ask('non_critical'));
    for await (const e of h.engine.stream({ tenantId: 't1', policy: h.policy, request }, mode ? { mode } : {}))
      events.push(e);
  };
  const error = await h.clock.run(collect()).then(
    () => undefined,
    (e: unknown) => e,
  );
  const text = events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
  const done = events.find((e) => e.type === 'done');
  return { events, text, error, result: done?.type === 'done' ? done.result : undefined };
}

describe('streaming through the engine', () => {
  it('streams a healthy answer and ends with the result', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { chunks: ['The capital ', 'of France ', 'is Paris.'] });
    const s = await stream(h);
    expect(s.text).toBe('The capital of France is Paris.');
    expect(s.result).toMatchObject({ content: s.text, routeId: 'claude-3-5-haiku', degraded: false });
    expect(h.decisions).toHaveLength(1);
  });

  it('falls back transparently when a stream fails before its first token', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { fail: 'overloaded' });
    h.providers.script('gpt-4.1-mini', { chunks: ['Paris ', 'it is.'] });
    const s = await stream(h);
    expect(s.text).toBe('Paris it is.');
    expect(s.events.find((e) => e.type === 'fallback')).toMatchObject({ mode: 'transparent', afterChars: 0 });
    expect(h.providers.calls[1]!.messages).toHaveLength(1);
  });

  it('continues a stream that broke mid-way on the next tier, from the partial answer', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { chunks: ['The capital ', 'of France '], thenFail: 'stream_interrupted' });
    h.providers.script('gpt-4.1-mini', { chunks: ['is ', 'Paris.'] });
    const s = await stream(h);
    expect(s.text).toBe('The capital of France is Paris.');
    expect(s.result!.content).toBe(s.text);
    expect(s.events.find((e) => e.type === 'fallback')).toEqual({
      type: 'fallback',
      fromRouteId: 'claude-3-5-haiku',
      toRouteId: 'gpt-4.1-mini',
      reason: 'stream_interrupted',
      mode: 'continue',
      afterChars: 'The capital of France '.length,
    });
    expect(h.providers.calls[1]!.messages!.slice(-2)).toEqual([
      { role: 'assistant', content: 'The capital of France ' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });

  it('sends no duplicated text when the fallback repeats or restarts the answer', async () => {
    for (const chunks of [
      ['of France ', 'is Paris.'],
      ['The capital of ', 'France is ', 'Paris.'],
    ]) {
      const h = setup();
      h.providers.script('claude-3-5-haiku', { chunks: ['The capital ', 'of France '], thenFail: 'network' });
      h.providers.script('gpt-4.1-mini', { chunks });
      expect((await stream(h)).text).toBe('The capital of France is Paris.');
    }
  });

  it('starts over on the next tier in restart mode and tells the caller to discard its text', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { chunks: ['Half an '], thenFail: 'server_error' });
    h.providers.script('gpt-4.1-mini', { chunks: ['Paris.'] });
    const s = await stream(h, 'restart');
    expect(s.events.find((e) => e.type === 'fallback')).toMatchObject({ mode: 'restart', afterChars: 8 });
    expect(s.result!.content).toBe('Paris.');
    expect(h.providers.calls[1]!.messages).toHaveLength(1);
  });

  it('ends the stream with a typed error in fail mode, without trying another route', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { chunks: ['Half an '], thenFail: 'server_error' });
    const s = await stream(h, 'fail');
    expect(isBackstopError(s.error) && s.error.code).toBe('ALL_TIERS_FAILED');
    expect(h.providers.callsTo('gpt-4.1-mini')).toBe(0);
    expect(h.decisions[0]!.outcome).toBe('failed');
  });

  it('times out a stream that goes quiet for longer than the tier timeout, and cancels it', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { chunks: ['The ', 'capital'], gapMs: 25_000 });
    h.providers.script('gpt-4.1-mini', { chunks: ['Paris.'] });
    const s = await stream(h);
    expect(s.result!.routeId).toBe('gpt-4.1-mini');
    expect(h.decisions[0]!.attempts[0]).toMatchObject({ failureKind: 'timeout', latencyMs: 20_000 });
    expect(h.providers.calls[0]!.aborted).toBe(true);
  });

  it('fails over an empty stream as low quality before anything reached the caller', async () => {
    const h = setup();
    h.providers.script('claude-3-5-haiku', { chunks: [] });
    const s = await stream(h);
    expect(s.result!.routeId).toBe('gpt-4.1-mini');
    expect(h.decisions[0]!.attempts[0]!.failureKind).toBe('low_quality');
  });
});
