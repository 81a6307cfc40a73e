import {
  PolicySchema,
  TRAFFIC_CLASSES,
  type DegradationMode,
  type PolicyInput,
  type TrafficClass,
} from '../../shared/contracts/policy.js';
import { tierLabel } from '../lib/format.js';

/** A policy being edited: the schema's input shape, so a field left empty falls back to the schema default. */
export type Draft = PolicyInput;
export type DraftClass = Draft['classes'][TrafficClass];
export type DraftTier = DraftClass['tiers'][number];
export type DraftRouteTier = Extract<DraftTier, { kind: 'routes' }>;
export type DraftHardStop = NonNullable<DraftClass['hardStop']>;
export type DraftBands = NonNullable<Draft['budgetBands']>;

/** One problem with the draft, named by its dotted path (`classes.critical.tiers.0.timeoutMs`). */
export interface DraftIssue {
  path: string;
  message: string;
}

/** Messages by field slot (see `issueField`). */
export type IssueMap = ReadonlyMap<string, readonly string[]>;

/** The schema's fence on fallback depth. */
export const MAX_TIERS = 8;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A draft from a stored document: parsed (defaults filled) when it matches the schema; kept as it is when it
 * only has the grid's shape, so its issues can be shown and fixed; null when it cannot be edited here.
 */
export function draftFromDocument(document: unknown): Draft | null {
  const parsed = PolicySchema.safeParse(document);
  if (parsed.success) return parsed.data;
  if (!isObject(document) || !isObject(document.classes)) return null;
  const classes = document.classes;
  const editable = TRAFFIC_CLASSES.every((c) => {
    const cp = classes[c];
    return isObject(cp) && Array.isArray(cp.tiers) && cp.tiers.every(isObject);
  });
  return editable ? (document as Draft) : null;
}

function withClass(doc: Draft, cls: TrafficClass, update: (c: DraftClass) => DraftClass): Draft {
  return { ...doc, classes: { ...doc.classes, [cls]: update(doc.classes[cls]) } };
}

function withTier(doc: Draft, cls: TrafficClass, index: number, update: (t: DraftTier) => DraftTier): Draft {
  return withClass(doc, cls, (c) => ({ ...c, tiers: c.tiers.map((t, i) => (i === index ? update(t) : t)) }));
}

function withRouteTier(
  doc: Draft,
  cls: TrafficClass,
  index: number,
  update: (t: DraftRouteTier) => DraftRouteTier,
): Draft {
  return withTier(doc, cls, index, (t) => (t.kind === 'routes' ? update(t) : t));
}

/** Sets fields of a route tier (strategy, timeoutMs, flagUncertain); `undefined` clears a field to its default. */
export function patchRouteTier(
  doc: Draft,
  cls: TrafficClass,
  index: number,
  patch: Partial<Pick<DraftRouteTier, 'strategy' | 'timeoutMs' | 'flagUncertain'>>,
): Draft {
  return withRouteTier(doc, cls, index, (t) => ({ ...t, ...patch }));
}

export function setTierRoute(doc: Draft, cls: TrafficClass, index: number, routeIndex: number, routeId: string): Draft {
  return withRouteTier(doc, cls, index, (t) => ({
    ...t,
    routes: t.routes.map((r, i) => (i === routeIndex ? routeId : r)),
  }));
}

export function addTierRoute(doc: Draft, cls: TrafficClass, index: number, routeId: string): Draft {
  return withRouteTier(doc, cls, index, (t) => ({ ...t, routes: [...t.routes, routeId] }));
}

export function removeTierRoute(doc: Draft, cls: TrafficClass, index: number, routeIndex: number): Draft {
  return withRouteTier(doc, cls, index, (t) => ({ ...t, routes: t.routes.filter((_, i) => i !== routeIndex) }));
}

/** Turns a degradation mode on (tried after the ones already chosen) or off. */
export function toggleDegradeMode(doc: Draft, cls: TrafficClass, index: number, mode: DegradationMode, on: boolean) {
  return withTier(doc, cls, index, (t) => {
    if (t.kind !== 'degrade') return t;
    const rest = t.modes.filter((m) => m !== mode);
    return { ...t, modes: on ? [...rest, mode] : rest };
  });
}

export function setDefaultResponse(doc: Draft, cls: TrafficClass, index: number, text: string): Draft {
  return withTier(doc, cls, index, (t) =>
    t.kind === 'degrade' ? { ...t, defaultResponse: text === '' ? undefined : text } : t,
  );
}

/** Appends an empty route tier: the schema then asks for a route, which the cell offers to add. */
export function addTier(doc: Draft, cls: TrafficClass): Draft {
  return withClass(doc, cls, (c) => ({ ...c, tiers: [...c.tiers, { kind: 'routes', routes: [] }] }));
}

export function removeTier(doc: Draft, cls: TrafficClass, index: number): Draft {
  return withClass(doc, cls, (c) => ({ ...c, tiers: c.tiers.filter((_, i) => i !== index) }));
}

/** Switches a tier between calling routes and degrading; the name is kept, the rest starts empty. */
export function switchTierKind(doc: Draft, cls: TrafficClass, index: number, kind: DraftTier['kind']): Draft {
  return withTier(doc, cls, index, (t): DraftTier => {
    if (t.kind === kind) return t;
    const name = t.name === undefined ? {} : { name: t.name };
    return kind === 'routes' ? { kind, ...name, routes: [] } : { kind, ...name, modes: [] };
  });
}

export function patchHardStop(doc: Draft, cls: TrafficClass, patch: Partial<DraftHardStop>): Draft {
  return withClass(doc, cls, (c) => ({ ...c, hardStop: { ...c.hardStop, ...patch } }));
}

export function patchClass(
  doc: Draft,
  cls: TrafficClass,
  patch: Partial<Pick<DraftClass, 'deadlineMs' | 'sensitive'>>,
): Draft {
  return withClass(doc, cls, (c) => ({ ...c, ...patch }));
}

export function patchBudgetBands(doc: Draft, patch: Partial<DraftBands>): Draft {
  return { ...doc, budgetBands: { ...doc.budgetBands, ...patch } };
}

/** Columns the grid needs: the deepest class's tier count. */
export function tierColumns(doc: Draft): number {
  return Math.max(1, ...TRAFFIC_CLASSES.map((c) => doc.classes[c].tiers.length));
}

/** The draft checked against the shared zod schema, one issue per problem. */
export function validateDraft(doc: Draft): DraftIssue[] {
  const parsed = PolicySchema.safeParse(doc);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(root)';
    // The bands are edited in percent; "expected number to be <=1" would read wrong beside a % field.
    if (path.startsWith('budgetBands.') && (i.code === 'too_big' || i.code === 'too_small'))
      return { path, message: i.code === 'too_big' ? 'Too big: at most 100%' : 'Too small: at least 0%' };
    return { path, message: i.message };
  });
}

/**
 * Schema issues first, then the server's (catalogue checks zod cannot make). A server issue on a path the schema
 * already flags is left out: the two would say the same thing, differently worded (NaN travels as null).
 */
export function mergeIssues(schema: readonly DraftIssue[], server: readonly DraftIssue[]): DraftIssue[] {
  const flagged = new Set(schema.map((i) => i.path));
  const seen = new Set<string>();
  return [...schema, ...server.filter((i) => !flagged.has(i.path))].filter((i) => {
    const key = `${i.path}\n${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const TIER_FIELDS = new Set(['routes', 'strategy', 'timeoutMs', 'flagUncertain', 'modes', 'defaultResponse', 'kind']);
const CLASS_FIELDS = new Set(['deadlineMs', 'sensitive']);
const HARD_STOP_FIELDS = new Set(['maxProviderFailures', 'budget', 'immediate']);
const BAND_FIELDS = new Set(['downgrade', 'conserve', 'criticalOnly']);

/**
 * The slot an issue is shown in: the path of the control it names, else the nearest enclosing part of the editor
 * (`classes.critical.retry.baseDelayMs`, which the grid does not edit, shows on the class's row).
 */
export function issueField(path: string): string {
  const p = path.split('.');
  if (p[0] === 'budgetBands') return p[1] && BAND_FIELDS.has(p[1]) ? `budgetBands.${p[1]}` : 'budgetBands';
  if (p[0] === 'note') return 'note';
  if (p[0] !== 'classes' || !p[1] || !(TRAFFIC_CLASSES as readonly string[]).includes(p[1])) return '(root)';
  const cls = `classes.${p[1]}`;
  if (p[2] === 'tiers') {
    if (p[3] === undefined) return `${cls}.tiers`;
    const tier = `${cls}.tiers.${p[3]}`;
    const field = p[4];
    if (field === undefined || !TIER_FIELDS.has(field)) return tier;
    if (field === 'kind') return tier;
    if (field === 'routes' && p[5] !== undefined) return `${tier}.routes.${p[5]}`;
    return `${tier}.${field}`;
  }
  if (p[2] === 'hardStop' && p[3] && HARD_STOP_FIELDS.has(p[3])) return `${cls}.hardStop.${p[3]}`;
  if (p[2] && CLASS_FIELDS.has(p[2])) return `${cls}.${p[2]}`;
  return cls;
}

const TIER_FIELD_LABELS: Record<string, string> = {
  routes: 'routes',
  strategy: 'strategy',
  timeoutMs: 'timeout (ms)',
  flagUncertain: 'flag uncertain',
  modes: 'degradation modes',
  defaultResponse: 'default response',
};
const FIELD_LABELS: Record<string, string> = {
  'hardStop.maxProviderFailures': 'max provider failures',
  'hardStop.budget': 'hard stop budget',
  'hardStop.immediate': 'immediate hard stop',
  deadlineMs: 'deadline (ms)',
  sensitive: 'sensitive',
};
const BAND_LABELS: Record<string, string> = {
  downgrade: 'budget band downgrade (%)',
  conserve: 'budget band conserve (%)',
  criticalOnly: 'budget band critical only (%)',
};

/** A tier as people say it: `critical primary`, `batch fallback 1`. */
export function tierName(cls: string, index: number): string {
  return `${cls} ${tierLabel(index)}`;
}

/**
 * What people call a field slot; also the accessible name of its control (`critical primary timeout (ms)`,
 * `critical fallback 1 route 2`, `budget band downgrade (%)`).
 */
export function fieldLabel(field: string): string {
  const p = field.split('.');
  if (p[0] === 'budgetBands') return (p[1] && BAND_LABELS[p[1]]) ?? 'budget bands';
  if (p[0] === 'note') return 'publish note';
  if (p[0] !== 'classes' || !p[1]) return field;
  const cls = p[1];
  if (p[2] === 'tiers') {
    if (p[3] === undefined) return `${cls} tiers`;
    const tier = tierName(cls, Number(p[3]));
    if (p[4] === 'routes' && p[5] !== undefined) return `${tier} route ${Number(p[5]) + 1}`;
    return p[4] ? `${tier} ${TIER_FIELD_LABELS[p[4]] ?? p[4]}` : `${tier} tier`;
  }
  return p[2] ? `${cls} ${FIELD_LABELS[p.slice(2).join('.')] ?? p.slice(2).join(' ')}` : cls;
}

/** Issues grouped by the slot that shows them, in order. */
export function groupIssues(issues: readonly DraftIssue[]): IssueMap {
  const map = new Map<string, string[]>();
  for (const i of issues) {
    const field = issueField(i.path);
    map.set(field, [...(map.get(field) ?? []), i.message]);
  }
  return map;
}

/** A DOM id for a field slot's control. */
export function fieldId(field: string): string {
  return `policy-${field.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}
