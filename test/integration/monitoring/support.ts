import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import parsePrometheusTextFormat, { type PrometheusSample } from 'parse-prometheus-text-format';
import type { TestBackstop } from '../../support/backstop.js';

/** Polls `check` every `everyMs` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, everyMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A loopback HTTP receiver: `respond` decides each answer; every request body is kept, parsed as JSON. */
export async function startReceiver(respond: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      respond(bodies.length, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        // Hung requests would keep close() waiting for ever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface SseMessage<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Runs a subscription over SSE through `app.fetch`; messages arrive in `messages` until `close()`. */
export function subscribeOverSse<T>(
  tb: TestBackstop,
  query: string,
  variables: Record<string, unknown> = {},
  key?: string | null,
) {
  const messages: SseMessage<T>[] = [];
  const abort = new AbortController();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const done = (async () => {
    const res = await tb.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
      ...(key !== undefined && { key }),
    });
    const parser = createParser({ onEvent: (e) => e.event === 'next' && messages.push(JSON.parse(e.data)) });
    const decoder = new TextDecoder();
    reader = res.body!.getReader();
    for (;;) {
      const { done: ended, value } = await reader.read();
      if (ended) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  })().catch(() => undefined);
  return {
    messages,
    async close() {
      abort.abort();
      // Without a socket, aborting the request does not end the body: cancelling the stream ends the subscription.
      await reader?.cancel().catch(() => undefined);
      await done;
    },
  };
}

const COMPLETE = /* GraphQL */ `
  mutation Complete($input: CompleteInput!) {
    complete(input: $input) {
      status
      routeId
      tier
    }
  }
`;

/** One completion through GraphQL; returns the answer's status, route and tier. */
export async function complete(tb: TestBackstop, trafficClass: string, content: string, key?: string) {
  const res = await tb.gql<{ complete: { status: string; routeId: string | null; tier: number | null } }>(
    COMPLETE,
    { input: { trafficClass, messages: [{ role: 'user', content }] } },
    key,
  );
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.complete;
}

/** One labelled histogram series as parsed: cumulative bucket counts by upper bound (`le`), count and sum. */
export interface HistogramSeries {
  buckets: Map<string, number>;
  count: number;
  sum: number;
}

/**
 * Parses the exposition text with parse-prometheus-text-format. That parser flattens a histogram's labelled series
 * into one sample (keeping neither labels, sum nor count), so histograms are read from a second parse of the same
 * text without their `# TYPE ... histogram` lines, where each `_bucket`, `_sum` and `_count` series keeps its labels.
 */
export function parseMetrics(text: string) {
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const untyped = text
    .split('\n')
    .filter((line) => !(line.startsWith('# TYPE ') && line.endsWith(' histogram')))
    .join('\n');
  // Series of one histogram interleave (buckets, sum, count per label set), so a name comes back as several families.
  const series = new Map<string, PrometheusSample[]>();
  for (const f of parsePrometheusTextFormat(untyped)) series.set(f.name, [...(series.get(f.name) ?? []), ...f.metrics]);
  const matching = (name: string, labels: Record<string, string>) =>
    (series.get(name) ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

  return {
    families,
    /** Samples of a counter or gauge whose labels include `labels`. */
    samples: (name: string, labels: Record<string, string> = {}) => matching(name, labels),
    histogram(name: string, labels: Record<string, string>): HistogramSeries {
      const one = (suffix: string) => {
        const found = matching(`${name}_${suffix}`, labels);
        if (found.length !== 1) throw new Error(`${name}_${suffix}${JSON.stringify(labels)}: ${found.length} series`);
        return Number(found[0]!.value);
      };
      const buckets = new Map(matching(`${name}_bucket`, labels).map((m) => [m.labels!.le!, Number(m.value)] as const));
      return { buckets, count: one('count'), sum: one('sum') };
    },
  };
}
