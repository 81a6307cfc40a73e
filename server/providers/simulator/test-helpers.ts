import { request } from 'undici';

/** A finished HTTP exchange with the simulator, body read as text. */
export interface SimResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One parsed server-sent event. */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Sends one request to the simulator over real HTTP and reads the whole body. */
export async function send(
  url: string,
  path: string,
  options: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    body?: unknown;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<SimResponse> {
  const res = await request(url + path, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.body !== undefined && {
      body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    }),
    ...(options.signal && { signal: options.signal }),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Reads an SSE body as sent (no reconnection logic): blocks split on blank lines. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      return event === undefined ? { data } : { event, data };
    });
}

/** An OpenAI chat completions body with one user message. */
export function openaiBody(content: string, extra: Record<string, unknown> = {}, model = 'sim-standard') {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/** An Anthropic messages body with one user message. */
export function anthropicBody(content: string, extra: Record<string, unknown> = {}, model = 'sim-standard') {
  return { model, max_tokens: 256, messages: [{ role: 'user', content }], ...extra };
}

/** Like `send` for a body that may break mid-way: returns what arrived and the error that ended it, if any. */
export async function sendPartial(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; text: string; error?: unknown }> {
  const res = await request(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  let text = '';
  try {
    for await (const part of res.body) text += Buffer.from(part as Uint8Array).toString('utf8');
    return { status: res.statusCode, text };
  } catch (error) {
    return { status: res.statusCode, text, error };
  }
}
