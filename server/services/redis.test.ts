import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactRedisUrl } from './redis.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Runs in its own process, so that nothing else of the test run has loaded ioredis into the require cache.
const PROBE = `
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
const loaded = () => Object.keys(cache).some((path) => path.includes('/node_modules/ioredis/'));
const { createRedisConnections } = await import('./server/services/redis.ts');
const before = loaded();
const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } };
const redis = createRedisConnections({ url: 'redis://127.0.0.1:1', logger: silent, connectTimeoutMs: 50 });
const after = loaded();
await redis.close();
console.log(JSON.stringify({ before, after }));
`;

describe('Redis connections', () => {
  it('load ioredis on the first connection, so a gateway without REDIS_URL never carries it', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
      cwd: ROOT,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ before: false, after: true });
  });

  it('keep credentials out of the URL they log', () => {
    expect(redactRedisUrl('redis://user:secret@cache:6379/2')).toBe('redis://cache:6379/2');
    expect(redactRedisUrl('not a url')).toBe('redis://(invalid url)');
  });
});
