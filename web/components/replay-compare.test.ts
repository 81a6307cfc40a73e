import { describe, expect, it } from 'vitest';
import { overallVerdict, replayRows, type ReplaySide } from './replay-compare.js';

const side = (over: Partial<ReplaySide> = {}): ReplaySide => ({
  requests: 10,
  answered: 10,
  degraded: 2,
  failed: 0,
  deferred: 0,
  fallbacks: 2,
  fallbackRate: 0.2,
  calls: 12,
  costUsd: 0.01,
  p95LatencyMs: 800,
  tierActivation: [
    { tier: 0, requests: 8 },
    { tier: 1, requests: 2 },
  ],
  errors: [],
  ...over,
});

const row = (rows: ReturnType<typeof replayRows>, key: string) => rows.find((r) => r.key === key)!;

describe('replayRows', () => {
  it('marks more failures and a higher cost under the draft as worse, with signed deltas', () => {
    const rows = replayRows({
      recorded: side(),
      published: side(),
      draft: side({ answered: 8, failed: 2, costUsd: 0.03, errors: [{ code: 'ALL_TIERS_FAILED', requests: 2 }] }),
    });
    expect(row(rows, 'failed')).toMatchObject({ published: '0', draft: '2', delta: '+2', verdict: 'worse' });
    expect(row(rows, 'answered')).toMatchObject({ delta: '−2', verdict: 'worse' });
    expect(row(rows, 'costUsd')).toMatchObject({ draft: '$0.03', delta: '+$0.02', verdict: 'worse' });
    expect(row(rows, 'errors')).toMatchObject({ published: 'none', draft: 'ALL_TIERS_FAILED 2', verdict: 'changed' });
    expect(overallVerdict(rows)).toBe('worse');
  });

  it('marks a lower fallback rate and p95 as better, in percentage points and milliseconds', () => {
    const rows = replayRows({
      recorded: side(),
      published: side(),
      draft: side({ fallbacks: 0, fallbackRate: 0, degraded: 0, p95LatencyMs: 500 }),
    });
    expect(row(rows, 'fallbackRate')).toMatchObject({ draft: '0.0% (0)', delta: '−20.0 pp', verdict: 'better' });
    expect(row(rows, 'p95LatencyMs')).toMatchObject({ delta: '−300 ms', verdict: 'better' });
    expect(overallVerdict(rows)).toBe('better');
  });

  it('lists every tier any side used, none last, as a change without a better or worse', () => {
    const rows = replayRows({
      recorded: side(),
      published: side(),
      draft: side({
        tierActivation: [
          { tier: 2, requests: 9 },
          { tier: -1, requests: 1 },
        ],
      }),
    });
    expect(rows.filter((r) => r.key.startsWith('tier:')).map((r) => [r.label, r.draft, r.verdict])).toEqual([
      ['Answered by primary', '0', 'changed'],
      ['Answered by fallback 1', '0', 'changed'],
      ['Answered by fallback 2', '9', 'changed'],
      ['No tier answered', '1', 'changed'],
    ]);
  });

  it('treats a cost difference below a nanodollar as the same, and a missing p95 on one side as a change', () => {
    const rows = replayRows({
      recorded: side(),
      published: side({ costUsd: 0.1 + 0.2 }),
      draft: side({ costUsd: 0.3, p95LatencyMs: null }),
    });
    expect(row(rows, 'costUsd').verdict).toBe('same');
    expect(row(rows, 'p95LatencyMs')).toMatchObject({ draft: '–', delta: '–', verdict: 'changed' });
  });

  it('adds the budget bands crossed when given, fewer being better', () => {
    const rows = replayRows(
      { recorded: side(), published: side(), draft: side() },
      { recorded: 1, published: 1, draft: 0 },
    );
    expect(row(rows, 'bandCrossings')).toMatchObject({ delta: '−1', verdict: 'better' });
    expect(
      replayRows({ recorded: side(), published: side(), draft: side() }).some((r) => r.key === 'bandCrossings'),
    ).toBe(false);
  });

  it('calls a draft better on some rows and worse on others mixed, and an identical one the same', () => {
    const rows = replayRows({ recorded: side(), published: side(), draft: side({ failed: 1, costUsd: 0.001 }) });
    expect(overallVerdict(rows)).toBe('mixed');
    expect(overallVerdict(replayRows({ recorded: side(), published: side(), draft: side() }))).toBe('same');
  });
});
