import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema, type CompletionRequestInput } from '../contracts/completion.js';
import type { RoutingRule } from '../contracts/policy.js';
import { canaryArm, stickyKey, type CanarySplit } from './canary-assignment.js';

const request = (extra: Partial<CompletionRequestInput> = {}) =>
  CompletionRequestSchema.parse({ messages: [{ role: 'user', content: 'hi' }], ...extra });

const split = (extra: Partial<CanarySplit> = {}): CanarySplit => ({
  id: 'c0ffee00-0000-4000-8000-000000000001',
  percent: 10,
  stickyBy: 'user',
  trafficClass: null,
  ...extra,
});

/** Share of `users` distinct users on the canary arm, in percent. */
const canaryShare = (canary: CanarySplit, users = 10_000) => {
  let onCanary = 0;
  for (let i = 0; i < users; i++) if (canaryArm(canary, request({ userId: `user-${i}` }), []) === 'canary') onCanary++;
  return (onCanary / users) * 100;
};

describe('canaryArm', () => {
  it('gives the same user the same arm on every one of 1,000 requests', () => {
    for (const userId of ['ada', 'grace', 'linus', 'margaret']) {
      const arms = new Set(
        Array.from({ length: 1_000 }, (_, i) =>
          canaryArm(split({ percent: 50 }), request({ userId, metadata: { n: String(i) } }), []),
        ),
      );
      expect(arms.size).toBe(1);
    }
  });

  it('keeps each user on its arm when the canary is read again (a restart) with the same id', () => {
    const before = Array.from({ length: 500 }, (_, i) => canaryArm(split(), request({ userId: `u${i}` }), []));
    const restarted = structuredClone(split());
    const after = Array.from({ length: 500 }, (_, i) => canaryArm(restarted, request({ userId: `u${i}` }), []));
    expect(after).toEqual(before);
  });

  it.each([1, 10, 30, 50, 90])('puts %d%% of 10,000 distinct users on the canary, within ±1.5 points', (percent) => {
    expect(Math.abs(canaryShare(split({ percent })) - percent)).toBeLessThanOrEqual(1.5);
  });

  it('puts every keyed user on the canary at 100%', () => {
    expect(canaryShare(split({ percent: 100 }), 2_000)).toBe(100);
  });

  it('assigns independently under different canary ids', () => {
    const a = split({ id: 'canary-a', percent: 50 });
    const b = split({ id: 'canary-b', percent: 50 });
    let both = 0;
    const users = 10_000;
    for (let i = 0; i < users; i++) {
      const r = request({ userId: `user-${i}` });
      if (canaryArm(a, r, []) === 'canary' && canaryArm(b, r, []) === 'canary') both++;
    }
    // Independent 50% splits overlap on a quarter of the users; a shared hash would overlap on half.
    expect(Math.abs((both / users) * 100 - 25)).toBeLessThanOrEqual(1.5);
  });

  it('keeps requests without a sticky key on the baseline', () => {
    expect(canaryArm(split({ percent: 100 }), request(), [])).toBe('baseline');
    expect(canaryArm(split({ percent: 100, stickyBy: 'conversation' }), request(), [])).toBe('baseline');
  });

  it('skips requests of another traffic class, resolved by the routing rules', () => {
    const rules: RoutingRule[] = [{ when: { tags: ['nightly'] }, then: { trafficClass: 'batch' } }];
    const canary = split({ percent: 100, trafficClass: 'batch' });
    expect(canaryArm(canary, request({ userId: 'u1', trafficClass: 'critical' }), rules)).toBeUndefined();
    expect(canaryArm(canary, request({ userId: 'u1', tags: ['nightly'] }), rules)).toBe('canary');
  });
});

describe('stickyKey', () => {
  it('keys a conversation by conversation_id, then workflow, then user', () => {
    const r = request({ userId: 'u', workflowId: 'w', metadata: { conversation_id: 'c' } });
    expect(stickyKey('conversation', r)).toBe('c');
    expect(stickyKey('conversation', request({ userId: 'u', workflowId: 'w' }))).toBe('w');
    expect(stickyKey('conversation', request({ userId: 'u' }))).toBe('u');
    expect(stickyKey('user', r)).toBe('u');
  });

  it('keeps a conversation on one arm whichever user speaks in it', () => {
    const canary = split({ percent: 50, stickyBy: 'conversation' });
    const arms = new Set(
      Array.from({ length: 200 }, (_, i) =>
        canaryArm(canary, request({ userId: `speaker-${i}`, metadata: { conversation_id: 'thread-9' } }), []),
      ),
    );
    expect(arms.size).toBe(1);
  });
});
