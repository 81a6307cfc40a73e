import { describe, expect, it } from 'vitest';
import { replayWindow } from './replay-window.js';

const NOW = Date.parse('2025-03-08T12:00:00.000Z');

describe('replayWindow', () => {
  it('ends a preset now and starts it the preset’s length before', () => {
    expect(replayWindow({ preset: '1h', from: '', to: '' }, NOW)).toEqual({
      ok: true,
      window: { from: '2025-03-08T11:00:00.000Z', to: '2025-03-08T12:00:00.000Z' },
    });
    expect(replayWindow({ preset: '7d', from: '', to: '' }, NOW)).toMatchObject({
      window: { from: '2025-03-01T12:00:00.000Z' },
    });
  });

  it('reads a custom window in local time', () => {
    const result = replayWindow({ preset: 'custom', from: '2025-03-01T09:00', to: '2025-03-01T10:30' }, NOW);
    expect(result).toEqual({
      ok: true,
      window: {
        from: new Date(2025, 2, 1, 9, 0).toISOString(),
        to: new Date(2025, 2, 1, 10, 30).toISOString(),
      },
    });
  });

  it('asks for both ends of a custom window, and for the end after the start', () => {
    expect(replayWindow({ preset: 'custom', from: '', to: '' }, NOW)).toEqual({
      ok: false,
      issues: { from: 'Pick when the window starts.', to: 'Pick when the window ends.' },
    });
    expect(replayWindow({ preset: 'custom', from: '2025-03-01T10:00', to: '2025-03-01T10:00' }, NOW)).toEqual({
      ok: false,
      issues: { to: 'Must be after the start.' },
    });
  });
});
