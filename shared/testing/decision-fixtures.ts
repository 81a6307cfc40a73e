import type { AttemptRecord } from '../contracts/decision.js';

/** A successful first attempt on gpt-4o (400 ms, 10 in / 20 out tokens, 0.001 USD); override what a test cares about. */
export const attemptRecord = (over: Partial<AttemptRecord> = {}): AttemptRecord => ({
  index: 0,
  tier: 0,
  routeId: 'gpt-4o',
  provider: 'openai',
  model: 'gpt-4o',
  outcome: 'success',
  retry: 0,
  breakerState: 'closed',
  startedAtMs: 0,
  latencyMs: 400,
  inputTokens: 10,
  outputTokens: 20,
  costUsd: 0.001,
  ...over,
});
