import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema } from '../contracts/completion.js';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';

describe('a sensitive critical request is never silently downgraded', () => {
  it('fails with DOWNGRADE_FORBIDDEN instead of using the uncertain budget tier when both premium routes fail', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'overloaded' });
    const error = await rejection(h.run(ask('critical', { sensitive: true })));
    expect(error.code).toBe('DOWNGRADE_FORBIDDEN');
    expect(error.message).toBe('sensitive request not downgraded: gpt-4o-mini is an uncertain stand-in');
    expect(h.providers.callsTo('gpt-4o-mini')).toBe(0);
    expect(h.decisions[0]).toMatchObject({ sensitive: true, outcome: 'failed', errorCode: 'DOWNGRADE_FORBIDDEN' });
    expect(h.decisions[0]!.attempts.at(-1)).toMatchObject({
      routeId: 'gpt-4o-mini',
      outcome: 'skipped',
      skipReason: 'sensitive_quality',
    });
  });

  it('falls back to a route of the same quality class (claude-sonnet-4 after gpt-4o)', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4o', { fail: 'server_error' });
    const r = await h.run(ask('critical', { sensitive: true }));
    expect(r).toMatchObject({ routeId: 'claude-sonnet-4', tier: 1, uncertain: false, degradedReasons: ['fallback'] });
  });

  it('skips a lower-quality route in a later tier even when that tier is not flagged uncertain', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.critical.tiers = [
          { kind: 'routes', routes: ['gpt-4o'] },
          { kind: 'routes', routes: ['gpt-4.1-mini'] },
        ];
        return p;
      },
    });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    const error = await rejection(h.run(ask('critical', { sensitive: true })));
    expect(error.code).toBe('DOWNGRADE_FORBIDDEN');
    expect(error.message).toMatch(/gpt-4\.1-mini is standard/);
    expect(h.providers.callsTo('gpt-4.1-mini')).toBe(0);
  });
});

describe('a sensitive request never gets a stand-in answer', () => {
  it('fails a sensitive non_critical request with DOWNGRADE_FORBIDDEN rather than serve the default response', async () => {
    const h = createEngineHarness();
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    h.providers.always('claude-3-5-haiku', { fail: 'server_error' });
    const error = await rejection(h.run(ask('non_critical', { sensitive: true })));
    expect(error.code).toBe('DOWNGRADE_FORBIDDEN');
    expect(error.message).toMatch(/default_response would serve a stand-in answer/);
    expect(h.decisions[0]).toMatchObject({ outcome: 'failed', errorCode: 'DOWNGRADE_FORBIDDEN' });
  });

  it('does not cache a sensitive answer', async () => {
    const h = createEngineHarness();
    const request = ask('non_critical', { sensitive: true });
    await h.run(request);
    expect(await h.cache.get('t1', CompletionRequestSchema.parse(request))).toBeUndefined();
  });

  it('does not serve a sensitive request from the cache', async () => {
    const h = createEngineHarness();
    await h.run(ask('non_critical'));
    expect(await h.cache.get('t1', CompletionRequestSchema.parse(ask('non_critical')))).toBeDefined();
    h.providers.always('gpt-4.1-mini', { fail: 'server_error' });
    h.providers.always('claude-3-5-haiku', { fail: 'server_error' });
    const error = await rejection(h.run(ask('non_critical', { sensitive: true })));
    expect(error.code).toBe('DOWNGRADE_FORBIDDEN');
    expect(error.message).toMatch(/cache would serve a stand-in answer/);
  });
});

describe('what makes a request sensitive', () => {
  it('a feature listed in policy.sensitiveFeatures', async () => {
    const h = createEngineHarness({
      policy: (p) => ({ ...p, sensitiveFeatures: ['legal-advice'] }),
    });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const error = await rejection(h.run(ask('critical', { featureId: 'legal-advice' })));
    expect(error.code).toBe('DOWNGRADE_FORBIDDEN');
    expect(h.decisions[0]!.sensitive).toBe(true);
  });

  it('not a feature missing from policy.sensitiveFeatures', async () => {
    const h = createEngineHarness({
      policy: (p) => ({ ...p, sensitiveFeatures: ['legal-advice'] }),
    });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const r = await h.run(ask('critical', { featureId: 'weather' }));
    expect(r).toMatchObject({ routeId: 'gpt-4o-mini', uncertain: true });
    expect(h.decisions[0]!.sensitive).toBe(false);
  });

  it('a class marked sensitive', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.critical.sensitive = true;
        return p;
      },
    });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const error = await rejection(h.run(ask('critical')));
    expect(error.code).toBe('DOWNGRADE_FORBIDDEN');
    expect(h.decisions[0]!.sensitive).toBe(true);
  });

  it('a class marked sensitive stays sensitive for a tenant that overrides only its tiers', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.critical.sensitive = true;
        p.tenantOverrides = {
          acme: {
            critical: {
              tiers: [
                { kind: 'routes', routes: ['claude-sonnet-4'] },
                { kind: 'routes', routes: ['gpt-4o-mini'], flagUncertain: true },
              ],
            },
          },
        };
        return p;
      },
    });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const outcome = h.run(ask('critical'), { tenantId: 'acme' });
    await outcome.catch(() => undefined);
    expect(h.providers.callsTo('gpt-4o-mini')).toBe(0);
    expect((await rejection(outcome)).code).toBe('DOWNGRADE_FORBIDDEN');
  });
});

describe('deferred work stays allowed for sensitive requests', () => {
  const withDegradeTier = (modes: ('default_response' | 'queue' | 'human_review')[]) =>
    createEngineHarness({
      policy: (p) => {
        p.classes.critical.tiers = [
          { kind: 'routes', routes: ['gpt-4o'] },
          { kind: 'routes', routes: ['claude-sonnet-4'] },
          { kind: 'degrade', modes, defaultResponse: 'Please call us.' },
        ];
        return p;
      },
    });

  it('hands a sensitive request to human review when its routes fail', async () => {
    const h = withDegradeTier(['human_review']);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const r = await h.run(ask('critical', { sensitive: true }));
    expect(r).toMatchObject({ status: 'in_review', source: 'human_review', content: '' });
    expect(h.workQueue.jobs).toEqual([expect.objectContaining({ kind: 'review', decisionId: r.decisionId })]);
    expect(h.decisions[0]).toMatchObject({ outcome: 'in_review', sensitive: true });
  });

  it('queues a sensitive request after passing over the forbidden default response', async () => {
    const h = withDegradeTier(['default_response', 'queue']);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const r = await h.run(ask('critical', { sensitive: true }));
    expect(r).toMatchObject({ status: 'queued', source: 'queue', degradedReasons: ['queued'] });
    expect(r.content).not.toMatch(/Please call us/);
    expect(h.workQueue.jobs[0]!.kind).toBe('retry');
  });

  it('serves the default response to the same request when it is not sensitive', async () => {
    const h = withDegradeTier(['default_response', 'queue']);
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const r = await h.run(ask('critical'));
    expect(r).toMatchObject({ source: 'default_response', content: 'Please call us.' });
    expect(h.workQueue.jobs).toHaveLength(0);
  });
});
