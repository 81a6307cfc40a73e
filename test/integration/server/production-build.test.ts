import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, GATEWAY_NODE_FLAGS } from '../../../server/build.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';

// Two levels under the repository like dist/server, so the bundle finds dist/web and node_modules as npm start's does.
const OUT = fileURLToPath(new URL(`../../../dist/server-test-${process.pid}`, import.meta.url));
let server: ServerProcess;

beforeAll(async () => {
  const entry = await buildServer(OUT);
  server = await startServerProcess({}, { entry, nodeFlags: GATEWAY_NODE_FLAGS });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(OUT, { recursive: true, force: true });
});

describe('the built gateway (npm start runs dist/server/main.mjs with plain node)', () => {
  it('is what npm start runs, with the gateway node flags', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe(
      `npm run build --silent && node ${GATEWAY_NODE_FLAGS.join(' ')} dist/server/main.mjs`,
    );
  });

  it('bundles the server with the migrations beside it', () => {
    expect(existsSync(join(OUT, 'main.mjs'))).toBe(true);
    expect(existsSync(join(OUT, 'migrations/meta/_journal.json'))).toBe(true);
  });

  it('migrates a fresh embedded database and answers a completion on the OpenAI endpoint', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content: 'built and running' }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toContain('built and running');
  });

  it('serves GraphQL and the console', async () => {
    const gql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify({ query: '{ routes { id } }' }),
    });
    const data = (await gql.json()) as { data: { routes: { id: string }[] } };
    expect(data.data.routes.map((r) => r.id)).toContain('gpt-4o');
    const page = await fetch(`${server.url}/`);
    if (existsSync(fileURLToPath(new URL('../../../dist/web/index.html', import.meta.url)))) {
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    } else {
      expect(page.status).not.toBe(500);
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await server.stop()).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  });
});
