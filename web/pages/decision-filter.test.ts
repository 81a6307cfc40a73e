import { describe, expect, it } from 'vitest';
import { readFilterValues, toDecisionFilter, withFilterValue, withoutFilters } from './decision-filter.js';

const values = (search: string) => readFilterValues(new URLSearchParams(search));

describe('decision filters in the address', () => {
  it('reads every filter, with "" for the ones not given', () => {
    expect(values('?outcome=failed&degraded=yes')).toEqual({
      tenant: '',
      class: '',
      outcome: 'failed',
      route: '',
      degraded: 'yes',
      from: '',
      to: '',
    });
  });

  it('sets one filter, drops it when emptied, and keeps other params', () => {
    const set = withFilterValue(new URLSearchParams('?route=a&x=1'), 'outcome', 'failed');
    expect(set.toString()).toBe('route=a&x=1&outcome=failed');
    expect(withFilterValue(set, 'route', '').toString()).toBe('x=1&outcome=failed');
    expect(withoutFilters(set).toString()).toBe('x=1');
  });
});

describe('toDecisionFilter', () => {
  it('maps the controls to the server filter, degraded yes/no to a boolean and local times to ISO', () => {
    const { filter, issues } = toDecisionFilter(
      values(
        '?tenant=acme&class=critical&outcome=success&route=r1&degraded=no&from=2025-03-01T10:00&to=2025-03-01T11:00',
      ),
    );
    expect(issues).toEqual([]);
    expect(filter).toEqual({
      tenantId: 'acme',
      trafficClass: 'critical',
      outcome: 'success',
      routeId: 'r1',
      degraded: false,
      from: new Date('2025-03-01T10:00').toISOString(),
      to: new Date('2025-03-01T11:00').toISOString(),
    });
  });

  it('leaves out "any" filters', () => {
    expect(toDecisionFilter(values(''))).toEqual({ filter: {}, issues: [] });
  });

  it('reports, and does not send, a To that is not after From', () => {
    const { filter, issues } = toDecisionFilter(values('?from=2025-03-01T11:00&to=2025-03-01T10:00'));
    expect(filter.to).toBeUndefined();
    expect(issues).toEqual([{ param: 'to', message: 'Must be after From.' }]);
  });

  it('reports values a hand-edited link got wrong', () => {
    const { filter, issues } = toDecisionFilter(values('?class=vip&outcome=meh&from=yesterday'));
    expect(filter).toEqual({});
    expect(issues.map((i) => i.param)).toEqual(['class', 'outcome', 'from']);
  });
});
