import { describe, expect, it } from 'vitest';
import { FaultProfileSchema } from '../../shared/contracts/fault-profile.js';
import { DRILL_PRESETS, describeProfile, drillMinutesIssue, timeLeft } from './drill-presets.js';

describe('drill presets', () => {
  it('are all valid fault profiles', () => {
    for (const preset of DRILL_PRESETS) expect(FaultProfileSchema.safeParse(preset.profile).success).toBe(true);
  });

  it('name a running profile by its preset, whatever its key order', () => {
    expect(describeProfile({ retryAfterSeconds: 2, errorRates: { '429': 0.3 } })).toBe(
      'Rate-limit storm (30% 429, Retry-After 2 s)',
    );
    expect(describeProfile({ hangRate: 0.5 })).toBe('{"hangRate":0.5}');
  });
});

describe('drillMinutesIssue', () => {
  it('accepts whole minutes from 1 to 15 only', () => {
    expect(drillMinutesIssue('1')).toBeUndefined();
    expect(drillMinutesIssue('15')).toBeUndefined();
    for (const bad of ['0', '16', '2.5', '', 'abc'])
      expect(drillMinutesIssue(bad)).toBe('Enter whole minutes from 1 to 15.');
  });
});

describe('timeLeft', () => {
  const end = '2025-03-01T10:05:00.000Z';
  const at = (iso: string) => new Date(iso).getTime();

  it('reads minutes and seconds, then seconds', () => {
    expect(timeLeft(end, at('2025-03-01T10:00:55.000Z'))).toBe('4 min 05 s');
    expect(timeLeft(end, at('2025-03-01T10:04:30.000Z'))).toBe('30 s');
  });

  it('says ending once the end has passed', () => {
    expect(timeLeft(end, at('2025-03-01T10:05:01.000Z'))).toBe('ending…');
  });
});
