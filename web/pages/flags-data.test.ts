import { describe, expect, it } from 'vitest';
import { flagId, indexFlags, newestFirst, parseReason, subjectLabel, tierState, type Flag } from './flags-data.js';

const flag = (over: Partial<Flag> & Pick<Flag, 'id'>): Flag => ({
  scope: 'tier',
  routeId: null,
  tier: 0,
  trafficClass: null,
  enabled: false,
  reason: 'drill',
  updatedBy: 'key-1',
  updatedAt: '2025-03-01T10:00:00.000Z',
  ...over,
});

describe('tierState', () => {
  const flags = indexFlags([
    flag({ id: 'tier:1', tier: 1, enabled: false }),
    flag({ id: 'tier:1:critical', tier: 1, trafficClass: 'critical', enabled: true }),
  ]);

  it('lets a class’s own flag win over the all-classes flag', () => {
    expect(tierState(flags, 1, 'critical')).toMatchObject({ enabled: true, source: 'own' });
  });

  it('applies the all-classes flag to a class without one of its own', () => {
    expect(tierState(flags, 1, 'batch')).toMatchObject({ enabled: false, source: 'all classes' });
  });

  it('reads a tier without any flag as on', () => {
    expect(tierState(flags, 2, 'batch')).toEqual({ enabled: true, source: 'default' });
    expect(tierState(flags, 2, null)).toEqual({ enabled: true, source: 'default' });
  });
});

describe('flag names', () => {
  it('builds the server’s flag ids', () => {
    expect(flagId({ scope: 'route', routeId: 'gpt-4o' })).toBe('route:gpt-4o');
    expect(flagId({ scope: 'tier', tier: 2, trafficClass: null })).toBe('tier:2');
    expect(flagId({ scope: 'tier', tier: 0, trafficClass: 'batch' })).toBe('tier:0:batch');
  });

  it('says a subject as people do', () => {
    expect(subjectLabel({ scope: 'route', routeId: 'gpt-4o' })).toBe('route gpt-4o');
    expect(subjectLabel({ scope: 'tier', tier: 0, trafficClass: 'critical' })).toBe('primary for critical');
    expect(subjectLabel({ scope: 'tier', tier: 1, trafficClass: null })).toBe('fallback 1 for all classes');
  });
});

describe('newestFirst', () => {
  it('orders the change log by the last change, newest first', () => {
    const old = flag({ id: 'route:a', updatedAt: '2025-03-01T09:00:00.000Z' });
    const recent = flag({ id: 'tier:0', updatedAt: '2025-03-01T11:00:00.000Z' });
    expect(newestFirst([old, recent]).map((f) => f.id)).toEqual(['tier:0', 'route:a']);
  });
});

describe('parseReason', () => {
  it('trims the reason', () => {
    expect(parseReason('  INC-42  ')).toEqual({ ok: true, reason: 'INC-42' });
  });

  it('refuses a blank reason and one over 500 characters', () => {
    expect(parseReason('   ')).toMatchObject({ ok: false, error: expect.stringMatching(/^Say why/) });
    expect(parseReason('x'.repeat(501))).toEqual({ ok: false, error: 'At most 500 characters.' });
  });
});
