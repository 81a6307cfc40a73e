import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../drizzle/client.js';
import { decisions } from '../../../drizzle/schema/index.js';
import { startServerProcess } from '../../support/server-process.js';

const ADMIN_KEY = 'bk_admin_graceful-shutdown-test-key-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'backstop-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('graceful shutdown of the real server', () => {
  it('lets an in-flight completion finish and flushes its decision before exiting', async () => {
    const server = await startServerProcess({}, { dataDir, adminKey: ADMIN_KEY });
    const put = await fetch(`${server.simUrl}/_sim/profiles/gpt-4o`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latency: { kind: 'fixed', ms: 1_500 } }),
    });
    expect(put.status).toBe(200);

    const inFlight = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content: 'finish me' }] }),
    });
    await new Promise((r) => setTimeout(r, 400));
    const exited = server.stop(); // SIGTERM

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content,
    ).toContain('finish me');
    expect(await exited).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped"/);
    expect(server.output()).not.toContain(ADMIN_KEY);

    const db = await openDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      const [row] = await db.db.select({ n: count() }).from(decisions);
      expect(row!.n).toBe(1);
    } finally {
      await db.close();
    }
  }, 180_000);
});
