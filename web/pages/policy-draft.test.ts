import { describe, expect, it } from 'vitest';
import {
  addTier,
  addTierRoute,
  draftFromDocument,
  fieldLabel,
  groupIssues,
  issueField,
  mergeIssues,
  patchBudgetBands,
  patchHardStop,
  patchRouteTier,
  removeTier,
  removeTierRoute,
  setTierRoute,
  switchTierKind,
  tierColumns,
  toggleDegradeMode,
  validateDraft,
} from './policy-draft.js';
import { CANNED_POLICY } from './policy-fixture.js';

const draft = () => draftFromDocument(structuredClone(CANNED_POLICY))!;

describe('draft updates', () => {
  it('changes one route of one cell and leaves the original and the other classes untouched', () => {
    const before = draft();
    const after = setTierRoute(before, 'critical', 0, 0, 'claude-sonnet-4');
    expect(after.classes.critical.tiers[0]).toMatchObject({ routes: ['claude-sonnet-4'] });
    expect(before.classes.critical.tiers[0]).toMatchObject({ routes: ['gpt-4o'] });
    expect(after.classes.batch).toBe(before.classes.batch);
    expect(after.classes.critical.tiers[1]).toBe(before.classes.critical.tiers[1]);
  });

  it('adds and removes routes of a tier', () => {
    const added = addTierRoute(draft(), 'critical', 0, 'gpt-4o-mini');
    expect(added.classes.critical.tiers[0]).toMatchObject({ routes: ['gpt-4o', 'gpt-4o-mini'] });
    expect(removeTierRoute(added, 'critical', 0, 0).classes.critical.tiers[0]).toMatchObject({
      routes: ['gpt-4o-mini'],
    });
  });

  it('clears a timeout to the position default with undefined', () => {
    const after = patchRouteTier(draft(), 'critical', 0, { timeoutMs: undefined });
    expect(validateDraft(after)).toEqual([]);
    expect(JSON.parse(JSON.stringify(after)).classes.critical.tiers[0].timeoutMs).toBeUndefined();
  });

  it('appends chosen degradation modes after the ones already tried, and removes unchosen ones', () => {
    let d = toggleDegradeMode(draft(), 'non_critical', 1, 'queue', true);
    expect(d.classes.non_critical.tiers[1]).toMatchObject({ modes: ['cache', 'default_response', 'queue'] });
    d = toggleDegradeMode(d, 'non_critical', 1, 'cache', false);
    expect(d.classes.non_critical.tiers[1]).toMatchObject({ modes: ['default_response', 'queue'] });
  });

  it('adds, removes and switches tiers, keeping the tier name', () => {
    const d = addTier(draft(), 'internal');
    expect(d.classes.internal.tiers).toHaveLength(2);
    expect(removeTier(d, 'internal', 0).classes.internal.tiers).toEqual([{ kind: 'routes', routes: [] }]);
    const switched = switchTierKind(draft(), 'critical', 3, 'routes');
    expect(switched.classes.critical.tiers[3]).toEqual({ kind: 'routes', name: 'hard stop', routes: [] });
    expect(tierColumns(d)).toBe(4);
  });

  it('patches the hard stop and the bands without dropping their other fields', () => {
    const d = patchHardStop(draft(), 'critical', { budget: 'daily' });
    expect(d.classes.critical.hardStop).toEqual({ maxProviderFailures: 2, budget: 'daily' });
    expect(patchBudgetBands(d, { conserve: 0.85 }).budgetBands).toEqual({
      downgrade: 0.7,
      conserve: 0.85,
      criticalOnly: 0.95,
    });
  });
});

describe('validateDraft', () => {
  it('accepts the canned policy', () => {
    expect(validateDraft(draft())).toEqual([]);
  });

  it('names a timeout of 0 or above 10 minutes with the schema message', () => {
    const low = patchRouteTier(draft(), 'critical', 0, { timeoutMs: 0 });
    expect(validateDraft(low)).toEqual([
      { path: 'classes.critical.tiers.0.timeoutMs', message: 'Too small: expected number to be >0' },
    ]);
    const high = patchRouteTier(draft(), 'critical', 1, { timeoutMs: 9_999_999 });
    expect(validateDraft(high)).toEqual([
      { path: 'classes.critical.tiers.1.timeoutMs', message: 'Too big: expected number to be <=600000' },
    ]);
  });

  it('says a tier without routes needs one', () => {
    const empty = removeTierRoute(draft(), 'internal', 0, 0);
    expect(validateDraft(empty)).toEqual([
      { path: 'classes.internal.tiers.0.routes', message: 'a tier needs at least one route' },
    ]);
  });

  it('reports unordered bands on the bands, and out-of-range ones in percent', () => {
    expect(validateDraft(patchBudgetBands(draft(), { downgrade: 0.9 }))).toEqual([
      { path: 'budgetBands', message: 'budget bands must be ordered: downgrade <= conserve <= criticalOnly' },
    ]);
    expect(validateDraft(patchBudgetBands(draft(), { criticalOnly: 1.5 }))).toContainEqual({
      path: 'budgetBands.criticalOnly',
      message: 'Too big: at most 100%',
    });
  });
});

describe('issue fields', () => {
  it('maps issue paths to the control that shows them, or the nearest enclosing part', () => {
    expect(issueField('classes.critical.tiers.0.timeoutMs')).toBe('classes.critical.tiers.0.timeoutMs');
    expect(issueField('classes.critical.tiers.0.routes.1')).toBe('classes.critical.tiers.0.routes.1');
    expect(issueField('classes.batch.tiers.1.modes.0')).toBe('classes.batch.tiers.1.modes');
    expect(issueField('classes.batch.tiers.1.kind')).toBe('classes.batch.tiers.1');
    expect(issueField('classes.batch.tiers')).toBe('classes.batch.tiers');
    expect(issueField('classes.batch.hardStop.budget')).toBe('classes.batch.hardStop.budget');
    expect(issueField('classes.batch.retry.baseDelayMs')).toBe('classes.batch');
    expect(issueField('budgetBands')).toBe('budgetBands');
    expect(issueField('rules.0.then')).toBe('(root)');
  });

  it('labels fields as the grid names its controls', () => {
    expect(fieldLabel('classes.critical.tiers.0.timeoutMs')).toBe('critical primary timeout (ms)');
    expect(fieldLabel('classes.critical.tiers.1.routes.0')).toBe('critical fallback 1 route 1');
    expect(fieldLabel('classes.critical.hardStop.maxProviderFailures')).toBe('critical max provider failures');
    expect(fieldLabel('budgetBands.downgrade')).toBe('budget band downgrade (%)');
  });

  it('groups messages by field and drops server issues the schema already reports', () => {
    const merged = mergeIssues(
      [{ path: 'classes.critical.deadlineMs', message: 'Invalid input: expected number, received NaN' }],
      [
        { path: 'classes.critical.deadlineMs', message: 'Invalid input: expected number, received null' },
        { path: 'classes.critical.tiers.0.routes.0', message: 'unknown route "gpt-5"' },
      ],
    );
    expect(merged.map((i) => i.path)).toEqual(['classes.critical.deadlineMs', 'classes.critical.tiers.0.routes.0']);
    expect(groupIssues(merged).get('classes.critical.tiers.0.routes.0')).toEqual(['unknown route "gpt-5"']);
  });

  it('refuses documents without the grid shape', () => {
    expect(draftFromDocument({ version: 1 })).toBeNull();
    expect(draftFromDocument('x')).toBeNull();
  });
});
