import { describe, expect, it } from 'vitest';
import {
  filterEvents,
  formatCondition,
  formatDuration,
  formatMetricValue,
  mergeEvents,
  scopeSummary,
} from './alerts-data.js';

const event = (id: string, state: string, at: string, severity = 'warning') => ({ id, state, at, severity });

describe('formatMetricValue', () => {
  it('shows rates as percentages, latency in ms and counts as numbers', () => {
    expect(formatMetricValue('error_rate', 0.02)).toBe('2%');
    expect(formatMetricValue('success_rate', 0.9925)).toBe('99.25%');
    expect(formatMetricValue('budget_used_fraction', 0.07)).toBe('7%');
    expect(formatMetricValue('p95_latency_ms', 250)).toBe('250 ms');
    expect(formatMetricValue('p95_latency_ms', 12_500.4)).toBe('12,500 ms');
    expect(formatMetricValue('synthetic_failures', 2)).toBe('2');
    expect(formatCondition('lt', 'success_rate', 0.99)).toBe('< 99%');
  });
});

describe('formatDuration', () => {
  it('uses the largest whole unit', () => {
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(90_000)).toBe('90 s');
    expect(formatDuration(0)).toBe('none');
  });
});

describe('scopeSummary', () => {
  const scope = { routeId: null, model: null, trafficClass: null, tenantId: null, tier: null };
  it('names the tenant and each narrowing, or says global', () => {
    const names = new Map([['acme', 'Acme']]);
    expect(scopeSummary({ tenantId: null, scope }, names)).toBe('global');
    expect(scopeSummary({ tenantId: null, scope: { ...scope, tier: 0 } }, names)).toBe('global · tier primary');
    expect(
      scopeSummary({ tenantId: 'acme', scope: { ...scope, routeId: 'gpt-4o', trafficClass: 'batch' } }, names),
    ).toBe('tenant Acme · route gpt-4o · class batch');
  });
});

describe('mergeEvents', () => {
  it('puts pushed events first when they are newer, and keeps each transition once', () => {
    const queried = [event('a', 'fired', '2025-01-01T10:00:00Z')];
    const live = [event('b', 'fired', '2025-01-01T10:05:00Z'), event('a', 'fired', '2025-01-01T10:00:00Z')];
    expect(mergeEvents(live, queried).map((e) => `${e.id}:${e.state}`)).toEqual(['b:fired', 'a:fired']);
  });

  it('keeps the queried copy, which carries acknowledgements', () => {
    const acknowledged = (at: string | null) => ({
      ...event('a', 'fired', '2025-01-01T10:00:00Z'),
      acknowledgedAt: at,
    });
    const queried = [acknowledged('2025-01-01T10:01:00Z')];
    const live = [acknowledged(null)];
    expect(mergeEvents(live, queried)).toEqual(queried);
  });

  it('treats fired and resolved of one id as two transitions', () => {
    const merged = mergeEvents(
      [event('a', 'resolved', '2025-01-01T10:09:00Z')],
      [event('a', 'fired', '2025-01-01T10:00:00Z')],
    );
    expect(merged.map((e) => e.state)).toEqual(['resolved', 'fired']);
  });
});

describe('filterEvents', () => {
  it('matches severity and state; blank means any', () => {
    const events = [
      event('a', 'fired', 'x', 'critical'),
      event('b', 'resolved', 'x', 'critical'),
      event('c', 'fired', 'x'),
    ];
    expect(filterEvents(events, { severity: 'critical', state: '' }).map((e) => e.id)).toEqual(['a', 'b']);
    expect(filterEvents(events, { severity: 'critical', state: 'fired' }).map((e) => e.id)).toEqual(['a']);
    expect(filterEvents(events, { severity: '', state: '' })).toHaveLength(3);
  });
});
