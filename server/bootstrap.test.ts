import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../test/support/backstop.js';
import { bootstrapAdminKey } from './bootstrap.js';

const logger = pino({ level: 'silent' });
const KEY = 'bk_admin_bootstrap-race-test-key-0123456789abcdef';

describe('bootstrapAdminKey', () => {
  let tb: TestBackstop;
  afterAll(() => tb?.close());

  it('registers BACKSTOP_ADMIN_KEY once when several instances start at once, and none of them fails', async () => {
    tb = await startTestBackstop();
    // Each call checks, then inserts: racing callers all pass the check and one insert meets the unique hash.
    const results = await Promise.allSettled([1, 2, 3].map(() => bootstrapAdminKey(tb.services, KEY, logger)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await tb.services.tenants.isKnownKey(KEY)).toBe(true);
    const me = await tb.gql<{ me: { role: string } }>('{ me { role } }', {}, KEY);
    expect(me.data?.me.role).toBe('admin');
  });
});
