import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { json, startLoopback } from '../../test/fixtures/providers/loopback-server.js';
import { ask, createEngineHarness } from '../../shared/testing/engine-harness.js';
import { createTracing } from './tracing.js';

describe('OpenTelemetry tracing', () => {
  it('emits a request span with one child per attempt, timed from the decision', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await createTracing({ exporter });
    const h = createEngineHarness();
    tracing.attach(h.engine);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    await h.run(ask('critical'));
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'backstop.request')!;
    const attempts = spans.filter((s) => s.name === 'backstop.attempt');
    expect(request.attributes).toMatchObject({
      'backstop.class': 'critical',
      'backstop.final_route': 'claude-sonnet-4',
    });
    expect(attempts.map((s) => s.attributes['backstop.route'])).toEqual(['gpt-4o', 'gpt-4o', 'claude-sonnet-4']);
    expect(attempts.every((s) => s.parentSpanContext?.spanId === request.spanContext().spanId)).toBe(true);
    expect(attempts[0]!.status.code).toBe(2);
    await tracing.shutdown();
  });

  it('is off by default and registers no listener', async () => {
    const tracing = await createTracing({});
    const h = createEngineHarness();
    const spy = vi.spyOn(h.engine.events, 'onDecision');
    tracing.attach(h.engine);
    expect(tracing.enabled).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });

  it('sends the spans to an OTLP/HTTP endpoint when one is configured', async () => {
    const collector = await startLoopback();
    collector.reply(json(200, {}));
    try {
      const tracing = await createTracing({ endpoint: `${collector.baseUrl}/v1/traces` });
      const h = createEngineHarness();
      tracing.attach(h.engine);
      await h.run(ask('critical'));
      // Shutting down flushes the batch processor.
      await tracing.shutdown();
      expect(tracing.enabled).toBe(true);
      expect(collector.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v1/traces']);
      expect(JSON.stringify(collector.requests[0]!.body)).toContain('backstop.request');
    } finally {
      await collector.close();
    }
  });
});
