import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { attempts } from '../../../drizzle/schema/index.js';
import { HAIKU, SIM_MODELS, ask, startHarness, type Harness } from './support.js';

describe('OpenAI-compatible endpoint: answers', () => {
  let h: Harness;
  // A whole Backstop (PGlite, migrations, simulator) takes a few seconds on a busy machine.
  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h.close());
  afterEach(() => SIM_MODELS.forEach((m) => h.tb.sim.clearProfile(m)));

  it('answers a plain completion with a chat.completion body, usage and the x-backstop headers', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({ model: 'critical', messages: ask('What is the capital of France?') })
      .withResponse();
    expect(data).toMatchObject({ object: 'chat.completion', model: 'gpt-4o' });
    expect(data.choices[0]!.message).toMatchObject({
      role: 'assistant',
      content: 'You said: "What is the capital of France?"',
    });
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    const header = (name: string) => response.headers.get(name);
    expect(data.id).toBe(`chatcmpl-${header('x-backstop-decision-id')}`);
    expect([header('x-backstop-route'), header('x-backstop-provider'), header('x-backstop-tier')]).toEqual([
      'gpt-4o',
      'openai',
      '0',
    ]);
    expect([header('x-backstop-fallbacks'), header('x-backstop-degraded'), header('x-backstop-uncertain')]).toEqual([
      '0',
      'false',
      'false',
    ]);
    expect(header('x-backstop-class')).toBe('critical');
  });

  it('streams text deltas, then usage when include_usage is set', async () => {
    const { data: stream, response } = await h
      .client()
      .chat.completions.create({
        model: 'non_critical',
        messages: ask('Stream this sentence back to me, please.'),
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-backstop-decision-id')).toBeTruthy();
    expect(response.headers.get('x-backstop-class')).toBe('non_critical');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('You said: "Stream this sentence back to me, please."');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chunks.every((c) => c.id === `chatcmpl-${response.headers.get('x-backstop-decision-id')}`)).toBe(true);
  });

  it('round-trips a tool call: the model calls the named tool, then reads its result', async () => {
    const client = h.client();
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: 'critical',
      messages: ask('Use get_weather for Oslo.'),
      tools,
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message.content).toBeNull();
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'sample' });

    const second = await client.chat.completions.create({
      model: 'critical',
      tools,
      messages: [
        ...ask('Use get_weather for Oslo.'),
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool returned: "sunny, 21 C"');
  });

  it('streams tool calls as tool_call deltas', async () => {
    const stream = await h.client().chat.completions.create({
      model: 'critical',
      messages: ask('Call lookup_order now.'),
      tools: [{ type: 'function', function: { name: 'lookup_order', parameters: { type: 'object' } } }],
      stream: true,
    });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      for (const t of delta?.tool_calls ?? []) {
        name += t.function?.name ?? '';
        args += t.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([name, args, finish]).toEqual(['lookup_order', '{}', 'tool_calls']);
  });

  it('takes a route id as model: the route is pinned and the class comes from the header', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create(
        { model: 'gpt-4.1', messages: ask('Pinned?') },
        { headers: { 'x-backstop-class': 'critical' } },
      )
      .withResponse();
    expect(data.model).toBe('gpt-4.1');
    expect(response.headers.get('x-backstop-route')).toBe('gpt-4.1');
    expect(response.headers.get('x-backstop-class')).toBe('critical');
  });

  it('passes response_format json_schema to the engine, whose schema guard rejects the echo answer', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({
        model: 'non_critical',
        messages: ask('Give me JSON.'),
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } },
        },
      })
      .withResponse();
    // The simulator never answers JSON: both routes fail the schema and the class's default answer stands in.
    expect(response.headers.get('x-backstop-degraded-reasons')).toContain('default_response');
    expect(response.headers.get('x-backstop-uncertain')).toBe('true');
    expect(data.model).toBe('non_critical');
    await h.tb.services.decisions.flush();
    const rows = await h.tb.services.database.db
      .select({ kind: attempts.failureKind })
      .from(attempts)
      .where(eq(attempts.decisionId, response.headers.get('x-backstop-decision-id')!));
    expect(rows.map((r) => r.kind)).toEqual(['low_quality', 'low_quality']);
  });

  it('shows a fallback in the headers when the primary route fails', async () => {
    h.tb.sim.setProfile(HAIKU, { errorRates: { 500: 1 } });
    const { response } = await h
      .client()
      .chat.completions.create({ model: 'non_critical', messages: ask('Fallback please.') })
      .withResponse();
    expect(response.headers.get('x-backstop-route')).toBe('gpt-4.1-mini');
    expect(response.headers.get('x-backstop-tier')).toBe('1');
    expect(Number(response.headers.get('x-backstop-fallbacks'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('x-backstop-degraded')).toBe('true');
    expect(response.headers.get('x-backstop-degraded-reasons')).toContain('fallback');
  });

  it('streams through a fallback: SSE comments report it, and the openai client ignores them', async () => {
    h.tb.sim.setProfile(HAIKU, { errorRates: { 500: 1 } });
    const body = { model: 'non_critical', messages: ask('Fallback stream.'), stream: true };
    const res = await h.post(body);
    const raw = await res.text();
    const summary = JSON.parse(/^: backstop-result (.*)$/m.exec(raw)![1]!) as { decisionId: string };
    expect(summary.decisionId).toBe(res.headers.get('x-backstop-decision-id'));
    expect(raw).toMatch(/^: backstop-fallback \{"from":"claude-3-5-haiku","to":"gpt-4.1-mini"/m);
    expect(raw).toMatch(/^: backstop-result \{"status":"answered",.*"route":"gpt-4.1-mini"/m);
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);

    const stream = await h.client().chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('You said: "Fallback stream."');
  });

  it('lists every traffic class and route as a model', async () => {
    const models = [];
    for await (const model of h.client().models.list()) models.push(model);
    expect(models).toContainEqual(expect.objectContaining({ id: 'critical', object: 'model', owned_by: 'backstop' }));
    expect(models).toContainEqual(expect.objectContaining({ id: 'claude-sonnet-4', owned_by: 'anthropic' }));
    expect(models.map((m) => m.id)).toHaveLength(5 + 8);
    expect(await h.client().models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', owned_by: 'openai' });
  });

  it('answers 202 with the job id when the result is deferred', async () => {
    const spy = vi.spyOn(h.tb.services.completions, 'complete').mockResolvedValueOnce({
      status: 'queued',
      content: '',
      toolCalls: [],
      finishReason: 'stop',
      source: 'queue',
      routeId: null,
      provider: null,
      model: null,
      tier: 2,
      degraded: true,
      degradedReasons: ['queued'],
      uncertain: false,
      usage: { inputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      latencyMs: 1,
      attempts: 2,
      decisionId: 'dec-queued',
      policyVersion: 1,
      jobId: 'job-42',
    });
    const res = await h.post({ model: 'internal', messages: ask('later is fine') });
    spy.mockRestore();
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued', job_id: 'job-42', decision_id: 'dec-queued' });
  });
});
