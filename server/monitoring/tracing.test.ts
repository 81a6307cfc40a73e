import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { ask, createEngineHarness } from '../../shared/testing/engine-harness.js';
import { createTracing } from './tracing.js';

describe('OpenTelemetry tracing', () => {
  it('emits a request span with one child per attempt, timed from the decision', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter });
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

  it('is off by default and registers no listener', () => {
    const tracing = createTracing({});
    const h = createEngineHarness();
    const spy = vi.spyOn(h.engine.events, 'onDecision');
    tracing.attach(h.engine);
    expect(tracing.enabled).toBe(false);
    expect(spy).not.toHaveBeenCalled();
  });
});
