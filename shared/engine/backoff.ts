import type { RetryPolicy } from '../contracts/policy.js';
import type { Random } from './ports.js';

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay, plus a random half.
 * Retry `n` (0-based) waits between 0.5 and 1 times min(maxDelayMs, baseDelayMs * 2^n), in milliseconds.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function backoffDelay(
  n: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: Random,
): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n, 30));
  return Math.round(capped / 2 + random() * (capped / 2));
}
