import { subjectLabel, type FlagSubject } from '../pages/flags-data.js';

export interface FlagToggleProps {
  subject: FlagSubject;
  enabled: boolean;
  /** Admins get a switch; everyone else sees the state only. */
  canEdit: boolean;
  /** This subject's change is in flight. */
  pending: boolean;
  /** Some change is in flight: one at a time, so each reason goes with one change. */
  busy: boolean;
  onToggle(subject: FlagSubject, enabled: boolean): void;
}

/**
 * A route's or tier's on/off state: a switch (role="switch", named for its subject, e.g. "route gpt-4o") for admins,
 * a badge for viewers. Its text says the state, so colour is never the only cue.
 */
export function FlagToggle({ subject, enabled, canEdit, pending, busy, onToggle }: FlagToggleProps) {
  const state = enabled ? 'on' : 'off';
  if (!canEdit) return <span className={`badge ${enabled ? 'ok' : 'failed'}`}>{state}</span>;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={enabled}
      aria-label={subjectLabel(subject)}
      className={`flag-switch ${state}`}
      disabled={busy}
      onClick={() => onToggle(subject, !enabled)}
    >
      {pending ? '…' : state}
    </button>
  );
}
