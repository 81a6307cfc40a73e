import { TRAFFIC_CLASSES, type TrafficClass } from '../../shared/contracts/policy.js';
import { tierLabel } from '../lib/format.js';

// Data shaping for the Feature flags page: pure functions of the `featureFlags` answer, no React.

/** One stored switch, as `featureFlags` answers it. A route or tier without a flag is on. */
export interface Flag {
  id: string;
  scope: 'route' | 'tier';
  routeId: string | null;
  tier: number | null;
  trafficClass: TrafficClass | null;
  enabled: boolean;
  reason: string;
  updatedBy: string | null;
  updatedAt: string;
}

/** What a switch changes: one route, or one tier for one class (null: every class without a flag of its own). */
export type FlagSubject =
  { scope: 'route'; routeId: string } | { scope: 'tier'; tier: number; trafficClass: TrafficClass | null };

/** Tier indexes the server lets a flag name: primary, first and second fallback (`SWITCHABLE_TIERS` there). */
export const SWITCHABLE_TIERS = [0, 1, 2] as const;

/** The longest reason the server keeps, in characters. */
export const MAX_REASON_CHARS = 500;

export { TRAFFIC_CLASSES };

/** The flag id the server gives a subject: `route:<id>`, `tier:<n>` or `tier:<n>:<class>`. */
export function flagId(subject: FlagSubject): string {
  if (subject.scope === 'route') return `route:${subject.routeId}`;
  return `tier:${subject.tier}${subject.trafficClass ? `:${subject.trafficClass}` : ''}`;
}

/** A subject as people say it: `route gpt-4o`, `fallback 1 for all classes`, `primary for critical`. */
export function subjectLabel(subject: FlagSubject): string {
  if (subject.scope === 'route') return `route ${subject.routeId}`;
  return `${tierLabel(subject.tier)} for ${subject.trafficClass ?? 'all classes'}`;
}

/** The subject a stored flag switches. */
export function subjectOf(flag: Flag): FlagSubject {
  return flag.scope === 'route'
    ? { scope: 'route', routeId: flag.routeId ?? flag.id.replace(/^route:/, '') }
    : { scope: 'tier', tier: flag.tier ?? 0, trafficClass: flag.trafficClass };
}

/** Flags by id, for lookups while rendering. */
export function indexFlags(flags: readonly Flag[]): ReadonlyMap<string, Flag> {
  return new Map(flags.map((f) => [f.id, f]));
}

/** Where a tier's state for a class comes from: its own flag, the all-classes flag, or none (on). */
export interface TierState {
  enabled: boolean;
  source: 'own' | 'all classes' | 'default';
  flag?: Flag;
}

/**
 * A tier's state for one class (or, with `null`, the all-classes switch), as the engine applies it: the class's own
 * flag wins over the all-classes one, so a tier can be off for every class but one.
 */
export function tierState(
  flags: ReadonlyMap<string, Flag>,
  tier: number,
  trafficClass: TrafficClass | null,
): TierState {
  const own = flags.get(flagId({ scope: 'tier', tier, trafficClass }));
  if (own) return { enabled: own.enabled, source: 'own', flag: own };
  if (trafficClass === null) return { enabled: true, source: 'default' };
  const all = flags.get(flagId({ scope: 'tier', tier, trafficClass: null }));
  return all ? { enabled: all.enabled, source: 'all classes', flag: all } : { enabled: true, source: 'default' };
}

/** A route's state: off only while its flag says so. */
export function routeEnabled(flags: ReadonlyMap<string, Flag>, routeId: string): boolean {
  return flags.get(flagId({ scope: 'route', routeId }))?.enabled ?? true;
}

/** Every flag, most recently changed first: the page's change log. */
export function newestFirst(flags: readonly Flag[]): Flag[] {
  return [...flags].sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt) || a.id.localeCompare(b.id));
}

/** The reason as the server will take it (trimmed, 1 to 500 characters), or why not; checked before sending. */
export function parseReason(text: string): { ok: true; reason: string } | { ok: false; error: string } {
  const reason = text.trim();
  if (reason === '') return { ok: false, error: 'Say why: every switch is audited with its reason.' };
  if (reason.length > MAX_REASON_CHARS) return { ok: false, error: `At most ${MAX_REASON_CHARS} characters.` };
  return { ok: true, reason };
}
