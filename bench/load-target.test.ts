import { describe, expect, it } from 'vitest';
import { loadTarget, targetRequest } from './load-target.js';

describe('loadTarget', () => {
  it('reads the database, endpoint and concurrency', () => {
    expect(loadTarget({ db: 'pglite', endpoint: 'graphql', concurrency: '1' }, 'x')).toEqual({
      db: 'pglite',
      endpoint: 'graphql',
      concurrency: 1,
    });
  });

  it('refuses what it cannot run, with the usage line', () => {
    for (const values of [
      { db: 'mysql', endpoint: 'openai', concurrency: '32' },
      { db: 'postgres', endpoint: 'rest', concurrency: '32' },
      { db: 'postgres', endpoint: 'openai', concurrency: '0' },
      { db: 'postgres', endpoint: 'openai', concurrency: 'many' },
    ]) {
      expect(() => loadTarget(values, 'npm run bench:profile --')).toThrow(/^usage: npm run bench:profile -- \[--db/);
    }
  });
});

describe('targetRequest', () => {
  it('sends a critical request to the endpoint named, with the key', () => {
    const openai = targetRequest({ db: 'postgres', endpoint: 'openai', concurrency: 1 }, 'bk_1');
    expect(openai.path).toBe('/v1/chat/completions');
    expect(openai.headers).toMatchObject({ authorization: 'Bearer bk_1' });
    expect(JSON.parse(openai.body)).toMatchObject({ model: 'critical' });
    const graphql = targetRequest({ db: 'postgres', endpoint: 'graphql', concurrency: 1 }, 'bk_2');
    expect(graphql.path).toBe('/graphql');
    expect(JSON.parse(graphql.body).variables.input.trafficClass).toBe('critical');
  });
});
