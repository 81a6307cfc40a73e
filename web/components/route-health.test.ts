import { describe, expect, it } from 'vitest';
import { formatErrorsByKind, isOverSlo } from './route-health.js';

describe('formatErrorsByKind', () => {
  it('lists failure kinds largest first, in whole percents', () => {
    expect(
      formatErrorsByKind([
        { kind: 'timeout', rate: 0.03 },
        { kind: 'rate_limited', rate: 0.12 },
      ]),
    ).toBe('rate_limited 12%, timeout 3%');
  });

  it('keeps a rare failure visible with one decimal', () => {
    expect(formatErrorsByKind([{ kind: 'network', rate: 0.004 }])).toBe('network 0.4%');
  });

  it('says none without failures', () => {
    expect(formatErrorsByKind([])).toBe('none');
    expect(formatErrorsByKind([{ kind: 'timeout', rate: 0 }])).toBe('none');
  });
});

describe('isOverSlo', () => {
  it('compares p95 with the SLO, and does not guess when either is unknown', () => {
    expect(isOverSlo(2500, 2000)).toBe(true);
    expect(isOverSlo(1500, 2000)).toBe(false);
    expect(isOverSlo(null, 2000)).toBeUndefined();
    expect(isOverSlo(1500, null)).toBeUndefined();
  });
});
