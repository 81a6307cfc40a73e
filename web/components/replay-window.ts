// The what-if replay's window picker, as pure functions: presets, a custom from/to, and the input they make.

const HOUR_MS = 60 * 60_000;

/** The window presets; `custom` takes a from and a to. */
export const REPLAY_WINDOWS = [
  { id: '1h', label: 'Last hour', ms: HOUR_MS },
  { id: '24h', label: 'Last 24 hours', ms: 24 * HOUR_MS },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * HOUR_MS },
  { id: 'custom', label: 'From / to', ms: null },
] as const;

export type ReplayWindowId = (typeof REPLAY_WINDOWS)[number]['id'];

/** What the picker holds: a preset, or `custom` with two `datetime-local` values (local time, may be blank). */
export interface ReplayWindowChoice {
  preset: ReplayWindowId;
  from: string;
  to: string;
}

/** The window sent to `whatIfReplay`: ISO instants, `from` inclusive, `to` exclusive. */
export interface ReplayWindow {
  from: string;
  to: string;
}

export type ReplayWindowResult =
  { ok: true; window: ReplayWindow } | { ok: false; issues: Partial<Record<'from' | 'to', string>> };

export function isReplayWindowId(value: string): value is ReplayWindowId {
  return REPLAY_WINDOWS.some((w) => w.id === value);
}

/** A `datetime-local` value (local time) as an instant; null when blank or not a date. */
function localInstant(value: string): number | null {
  if (value.trim() === '') return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The window a choice means at `nowMs`: a preset ends now; a custom window needs both ends, `from` before `to`.
 * Checked here so an impossible window never reaches the gateway.
 */
export function replayWindow(choice: ReplayWindowChoice, nowMs: number): ReplayWindowResult {
  const preset = REPLAY_WINDOWS.find((w) => w.id === choice.preset);
  if (preset?.ms)
    return { ok: true, window: { from: new Date(nowMs - preset.ms).toISOString(), to: new Date(nowMs).toISOString() } };
  const from = localInstant(choice.from);
  const to = localInstant(choice.to);
  const issues: Partial<Record<'from' | 'to', string>> = {};
  if (from === null) issues.from = 'Pick when the window starts.';
  if (to === null) issues.to = 'Pick when the window ends.';
  else if (from !== null && to <= from) issues.to = 'Must be after the start.';
  if (from === null || to === null || issues.to) return { ok: false, issues };
  return { ok: true, window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
}
