import type { FaultProfile } from '../../shared/contracts/fault-profile.js';

/** A named fault an admin can put on a route's simulated model for a drill. */
export interface DrillPreset {
  id: string;
  label: string;
  profile: FaultProfile;
}

export const DRILL_PRESETS: readonly DrillPreset[] = [
  { id: 'http-500', label: 'Primary returns HTTP 500', profile: { errorRates: { '500': 1 } } },
  {
    id: 'rate-limit-storm',
    label: 'Rate-limit storm (30% 429, Retry-After 2 s)',
    profile: { errorRates: { '429': 0.3 }, retryAfterSeconds: 2 },
  },
  { id: 'overloaded', label: 'Overloaded (529)', profile: { errorRates: { '529': 1 } } },
  { id: 'latency-spike', label: 'Latency spike past the timeout', profile: { latency: { kind: 'fixed', ms: 30000 } } },
  { id: 'stream-drop', label: 'Streams drop mid-way', profile: { streamDropAfterChunks: 3 } },
];

/** Drill length the console offers, in whole minutes (the server takes 10 s to 15 min). */
export const DRILL_MINUTES = { min: 1, max: 15, default: 2 } as const;

/** What is wrong with a typed duration, or undefined when it is whole minutes within range. */
export function drillMinutesIssue(text: string): string | undefined {
  const minutes = Number(text);
  if (text.trim() === '' || !Number.isInteger(minutes) || minutes < DRILL_MINUTES.min || minutes > DRILL_MINUTES.max)
    return `Enter whole minutes from ${DRILL_MINUTES.min} to ${DRILL_MINUTES.max}.`;
  return undefined;
}

// Key order does not matter for a profile, so compare by a sorted rendering.
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** How a running drill's profile reads: the preset's label, or the profile itself when it was set some other way. */
export function describeProfile(profile: unknown): string {
  const key = canonical(profile);
  return DRILL_PRESETS.find((p) => canonical(p.profile) === key)?.label ?? JSON.stringify(profile);
}

/** Time left until `endsAt`, e.g. "4 min 05 s", or "ending…" once it has passed. */
export function timeLeft(endsAt: string, nowMs: number): string {
  const seconds = Math.ceil((new Date(endsAt).getTime() - nowMs) / 1000);
  if (seconds <= 0) return 'ending…';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m} min ${String(s).padStart(2, '0')} s` : `${s} s`;
}
