import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type BackstopApp } from '../../../server/app.js';
import { mountOpenAICompatible } from '../../../server/http/openai-compatible.js';
import { isApiPath } from '../../../server/http/console.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';

const INDEX = '<!doctype html><title>Backstop console</title><div id="root"></div>';
const SCRIPT = 'console.log("console");';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let tb: TestBackstop;
let built: string;
let empty: string;
let withConsole: BackstopApp;
let withoutConsole: BackstopApp;

beforeAll(async () => {
  built = mkdtempSync(join(tmpdir(), 'backstop-console-'));
  mkdirSync(join(built, 'assets'));
  writeFileSync(join(built, 'index.html'), INDEX);
  writeFileSync(join(built, 'assets', 'index-abc123.js'), SCRIPT);
  writeFileSync(join(built, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  empty = mkdtempSync(join(tmpdir(), 'backstop-no-console-'));
  tb = await startTestBackstop();
  const mount = (hono: Parameters<typeof mountOpenAICompatible>[0]) => mountOpenAICompatible(hono, tb.services);
  withConsole = createApp(tb.services, { mount, consoleDir: built });
  withoutConsole = createApp(tb.services, { mount, consoleDir: empty });
});
afterAll(async () => {
  await tb.close();
  rmSync(built, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

function get(app: BackstopApp, path: string, headers: Record<string, string> = {}) {
  return Promise.resolve(app.fetch(new Request(`http://backstop.test${path}`, { headers })));
}

describe('the built console', () => {
  it('serves index.html at / without a long cache, so a deploy is picked up at once', async () => {
    const res = await get(withConsole, '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(INDEX);
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const res = await get(withConsole, '/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe(SCRIPT);
  });

  it('answers a missing asset with 404, even to a browser, never with the app', async () => {
    const missing = await get(withConsole, '/assets/gone-123.js');
    expect(missing.status).toBe(404);
    // A cached 404 would outlive the deploy that adds the file.
    expect(missing.headers.get('cache-control')).toBeNull();
    expect((await get(withConsole, '/assets/gone-123.js', { accept: HTML })).status).toBe(404);
  });

  it('serves other files of the build (favicon) revalidated', async () => {
    const res = await get(withConsole, '/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('serves index.html for a deep link a browser navigates to (SPA fallback)', async () => {
    for (const path of ['/policies', '/decisions/abc-123', '/routes/gpt-4o']) {
      const res = await get(withConsole, path, { accept: HTML });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('answers 404 to an unknown path that does not ask for HTML', async () => {
    expect((await get(withConsole, '/policies', { accept: 'application/json' })).status).toBe(404);
    expect((await get(withConsole, '/policies')).status).toBe(404);
  });

  it('leaves the API paths to the API, even when a browser asks for HTML', async () => {
    const health = await get(withConsole, '/healthz', { accept: HTML });
    expect(await health.json()).toEqual({ ok: true });
    const ready = await get(withConsole, '/readyz', { accept: HTML });
    expect(await ready.json()).toMatchObject({ ok: true });
    const models = await get(withConsole, '/v1/models', { accept: HTML, authorization: `Bearer ${tb.adminKey}` });
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({ object: 'list' });
    const metrics = await get(withConsole, '/metrics', { accept: HTML, authorization: `Bearer ${tb.adminKey}` });
    expect(await metrics.text()).toContain('# HELP');
    for (const path of ['/v1/nothing-here', '/v1', '/metrics/extra']) {
      const res = await get(withConsole, path, { accept: HTML });
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toBe(INDEX);
    }
    const graphql = await withConsole.fetch(
      new Request('http://backstop.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: HTML, authorization: `Bearer ${tb.adminKey}` },
        body: JSON.stringify({ query: '{ me { role } }' }),
      }),
    );
    expect(await graphql.json()).toEqual({ data: { me: { role: 'admin' } } });
  });

  it('tells API paths from console paths', () => {
    for (const path of ['/graphql', '/v1', '/v1/chat/completions', '/healthz', '/readyz', '/metrics', '/assets/x.js'])
      expect(isApiPath(path), path).toBe(true);
    for (const path of ['/', '/policies', '/graphql-docs', '/v10', '/assetsx', '/metrics-board'])
      expect(isApiPath(path), path).toBe(false);
  });
});

describe('without a built console', () => {
  it('keeps the landing page at / and says how to build the console', async () => {
    const res = await get(withoutConsole, '/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('/graphql');
    expect(html).toContain('npm run build:web');
  });

  it('has no SPA fallback: a deep link is 404', async () => {
    expect((await get(withoutConsole, '/policies', { accept: HTML })).status).toBe(404);
    expect((await get(withoutConsole, '/assets/index-abc123.js')).status).toBe(404);
  });
});
