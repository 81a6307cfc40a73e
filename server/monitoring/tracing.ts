import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Decision } from '../../shared/contracts/decision.js';
import type { FallbackEngine } from '../../shared/engine/fallback-engine.js';

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  endpoint?: string;
  /** An exporter to use instead (tests pass an in-memory one). */
  exporter?: SpanExporter;
}

/**
 * Optional OpenTelemetry spans: one `backstop.request` span per decision with a `backstop.attempt` child per attempt,
 * built from the decision record after the request ends. Off unless an endpoint or exporter is given; when off no
 * listener is registered, so the request path pays nothing, and the SDK and the OTLP exporter are not even loaded
 * (together about 20 MB of RSS).
 */
export async function createTracing(options: TracingOptions = {}) {
  if (!options.exporter && !options.endpoint) {
    return { enabled: false as const, attach: () => () => undefined, shutdown: async () => undefined };
  }
  const { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } =
    await import('@opentelemetry/sdk-trace-base');
  const exporter =
    options.exporter ??
    new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: options.endpoint });
  const provider = new BasicTracerProvider({
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('backstop');
  return {
    enabled: true as const,
    /** Starts tracing an engine's decisions; returns a function that stops. */
    attach(engine: FallbackEngine): () => void {
      const sub = engine.events.onDecision((d) => spanDecision(tracer, d));
      return () => sub.dispose();
    },
    shutdown: () => provider.shutdown(),
  };
}

function spanDecision(tracer: Tracer, d: Decision): void {
  const span = tracer.startSpan(
    'backstop.request',
    {
      kind: SpanKind.SERVER,
      startTime: d.startedAtMs,
      attributes: {
        'backstop.decision_id': d.id,
        'backstop.tenant': d.tenantId,
        'backstop.class': d.trafficClass,
        'backstop.outcome': d.outcome,
        'backstop.degraded': d.degraded,
        'backstop.final_route': d.finalRouteId ?? '',
        'backstop.cost_usd': d.totalCostUsd,
        'backstop.policy_version': d.policyVersion,
      },
    },
    context.active(),
  );
  const parent = trace.setSpan(context.active(), span);
  for (const a of d.attempts) {
    const child = tracer.startSpan(
      'backstop.attempt',
      {
        kind: SpanKind.CLIENT,
        startTime: a.startedAtMs,
        attributes: {
          'backstop.route': a.routeId,
          'backstop.provider': a.provider,
          'backstop.model': a.model,
          'backstop.tier': a.tier,
          'backstop.retry': a.retry,
          'backstop.outcome': a.outcome,
          ...(a.failureKind && { 'backstop.failure_kind': a.failureKind }),
          ...(a.skipReason && { 'backstop.skip_reason': a.skipReason }),
        },
      },
      parent,
    );
    if (a.outcome === 'failure') child.setStatus({ code: SpanStatusCode.ERROR, message: a.failureKind ?? 'failure' });
    child.end(a.startedAtMs + a.latencyMs);
  }
  if (d.outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: d.errorCode ?? 'failed' });
  span.end(d.startedAtMs + d.totalLatencyMs);
}
