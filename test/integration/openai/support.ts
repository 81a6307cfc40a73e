// Shared by the OpenAI-endpoint suites: a whole Backstop on a real port, driven by the official openai client.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { count } from 'drizzle-orm';
import { APIError, OpenAI } from 'openai';
import { decisions } from '../../../drizzle/schema/index.js';
import { createApp } from '../../../server/app.js';
import { mountOpenAICompatible } from '../../../server/http/openai-compatible.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

export const HAIKU = 'claude-3-5-haiku-20241022';
export const SIM_MODELS = [HAIKU, 'gpt-4.1-mini', 'gpt-4.1', 'gpt-4o'];
export const ask = (content: string) => [{ role: 'user' as const, content }];

export interface Harness {
  tb: TestBackstop;
  url: string;
  client: (apiKey?: string) => OpenAI;
  post: (body: unknown, init?: { key?: string; headers?: Record<string, string> }) => Promise<Response>;
  decisionCount: () => Promise<number>;
  close: () => Promise<void>;
}

// A real port: the official client speaks HTTP, so this is what an unchanged OpenAI application sees.
export async function startHarness(): Promise<Harness> {
  const tb = await startTestBackstop();
  const app = createApp(tb.services, { mount: (hono) => mountOpenAICompatible(hono, tb.services) });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    tb,
    url,
    // The client retries 429 and 5xx by default; the tests want the first answer.
    client: (apiKey = tb.adminKey) => new OpenAI({ apiKey, baseURL: url, maxRetries: 0 }),
    post: (body, init = {}) =>
      fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${init.key ?? tb.adminKey}`,
          'content-type': 'application/json',
          ...init.headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async decisionCount() {
      await tb.services.decisions.flush();
      const [row] = await tb.services.database.db.select({ n: count() }).from(decisions);
      return row!.n;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await tb.close();
    },
  };
}

/** The openai client's error for a call expected to fail. */
export async function rejection(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof APIError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
