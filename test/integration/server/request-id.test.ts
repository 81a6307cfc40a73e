import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisions } from '../../../drizzle/schema/index.js';
import { mountOpenAICompatible } from '../../../server/http/openai-compatible.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

// The request id names the decision (its primary key). It used to be the client's x-request-id when one was sent:
// a repeated id lost the second decision, and a 4 KB id failed the insert and stalled the decision writer for every
// tenant (found by test/reliability/fuzz-endpoints.test.ts).
describe('request ids', () => {
  let tb: TestBackstop;
  beforeAll(async () => {
    tb = await startTestBackstop({ app: { mount: mountOpenAICompatible } });
  }, 60_000);
  afterAll(() => tb.close());

  const chat = (requestId: string) =>
    tb.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('records a decision per request whatever x-request-id the client sends, repeated or oversized', async () => {
    const ids: string[] = [];
    for (const requestId of ['retry-1', 'retry-1', 'r'.repeat(4_000)]) {
      const res = await chat(requestId);
      expect(res.status).toBe(200);
      const id = res.headers.get('x-backstop-decision-id')!;
      expect(res.headers.get('x-request-id')).toBe(id);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.push(id);
    }
    expect(new Set(ids).size).toBe(3);
    await tb.services.decisions.flush();
    const rows = await tb.services.database.db
      .select({ id: decisions.id })
      .from(decisions)
      .where(inArray(decisions.id, ids));
    expect(rows).toHaveLength(3);
    expect(tb.services.decisions.droppedCount()).toBe(0);
  });
});
