import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../drizzle/client.js';
import { decisions } from '../../../drizzle/schema/index.js';

const ADMIN_KEY = 'bk_admin_graceful-shutdown-test-key-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'backstop-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `server/main.ts` as a real process and waits until it and its simulator listen. */
async function startServer(): Promise<{ proc: ChildProcess; url: string; simUrl: string; output: () => string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      BACKSTOP_DATA_DIR: dataDir,
      BACKSTOP_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)","database"/.exec(out)?.[1];
    const simUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+)","msg":"simulator/.exec(out)?.[1];
    if (url && simUrl) return { proc, url, simUrl, output: () => out };
    if (proc.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`server did not start:\n${out}`);
}

describe('graceful shutdown of the real server', () => {
  it('lets an in-flight completion finish and flushes its decision before exiting', async () => {
    const server = await startServer();
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
    const exited = new Promise<number | null>((r) => server.proc.once('exit', (code) => r(code)));
    server.proc.kill('SIGTERM');

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
