import { describe, expect, it } from 'vitest';
import { AlertRuleSchema, type AlertRule, type AlertRuleInput } from '../contracts/alert.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { createAlertEvaluator, type AlertReading } from './alert-evaluator.js';

const rule = (over: Partial<AlertRuleInput> = {}): AlertRule =>
  AlertRuleSchema.parse({
    id: 'r1',
    name: 'Error rate above 2%',
    metric: 'error_rate',
    comparator: 'gt',
    threshold: 0.02,
    minSample: 20,
    cooldownMs: 300_000,
    ...over,
  });

function setup() {
  const clock = createFakeClock();
  let n = 0;
  const evaluator = createAlertEvaluator({ clock, newId: () => `e${++n}` });
  // What each subject reads now; tests change it between evaluations.
  const readings = new Map<string, AlertReading>();
  const run = (rules: AlertRule[], subjects = ['route:gpt-4o']) =>
    evaluator.evaluate(
      rules,
      (_rule, subject) => readings.get(subject) ?? { value: undefined, sample: 0 },
      () => subjects,
    );
  const set = (subject: string, value: number | undefined, sample = 40) => readings.set(subject, { value, sample });
  return { clock, evaluator, run, set };
}

describe('alert evaluator', () => {
  it('fires once with a readable message when the threshold is crossed', () => {
    const { run, set, evaluator, clock } = setup();
    set('route:gpt-4o', 0.125);
    const events = run([rule()]);
    expect(events).toEqual([
      expect.objectContaining({
        id: 'e1',
        ruleId: 'r1',
        state: 'fired',
        subject: 'route:gpt-4o',
        value: 0.125,
        threshold: 0.02,
        atMs: clock.now(),
        message: 'error rate 12.5% > 2% on route:gpt-4o (5 min, 40 calls)',
      }),
    ]);
    expect(evaluator.firing()).toEqual([{ ruleId: 'r1', subject: 'route:gpt-4o', sinceMs: clock.now() }]);
  });

  it('does not emit again while the rule keeps breaching', async () => {
    const { run, set, clock } = setup();
    set('route:gpt-4o', 0.1);
    expect(run([rule()])).toHaveLength(1);
    for (const value of [0.2, 0.05, 0.3]) {
      await clock.advance(10_000);
      set('route:gpt-4o', value);
      expect(run([rule()])).toEqual([]);
    }
  });

  it('resolves once on recovery and once when the window empties', async () => {
    const { run, set, clock, evaluator } = setup();
    set('route:gpt-4o', 0.1);
    run([rule()]);
    set('route:gpt-4o', 0.01);
    const [resolved] = run([rule()]);
    expect(resolved).toMatchObject({ state: 'resolved', value: 0.01 });
    expect(resolved?.message).toBe('error rate 1% no longer > 2% on route:gpt-4o (5 min, 40 calls)');
    expect(run([rule()])).toEqual([]);
    expect(evaluator.firing()).toEqual([]);

    await clock.advance(600_000);
    set('route:gpt-4o', 0.1);
    run([rule()]);
    set('route:gpt-4o', undefined, 0);
    expect(run([rule()])).toEqual([expect.objectContaining({ state: 'resolved', value: 0.1 })]);
  });

  it('waits for the minimum sample before firing', () => {
    const { run, set } = setup();
    set('route:gpt-4o', 1, 19);
    expect(run([rule()])).toEqual([]);
    set('route:gpt-4o', 1, 20);
    expect(run([rule()])).toHaveLength(1);
  });

  it('stays quiet during the cooldown after a resolve, then may fire again', async () => {
    const { run, set, clock } = setup();
    set('route:gpt-4o', 0.1);
    run([rule()]);
    set('route:gpt-4o', 0);
    run([rule()]);
    set('route:gpt-4o', 0.1);
    await clock.advance(299_999);
    expect(run([rule()])).toEqual([]);
    await clock.advance(1);
    expect(run([rule()])).toEqual([expect.objectContaining({ state: 'fired' })]);
  });

  it('keeps subjects independent', () => {
    const { run, set, evaluator } = setup();
    const subjects = ['route:a', 'route:b'];
    set('route:a', 0.5);
    set('route:b', 0);
    expect(run([rule()], subjects).map((e) => [e.subject, e.state])).toEqual([['route:a', 'fired']]);
    set('route:b', 0.5);
    expect(run([rule()], subjects).map((e) => [e.subject, e.state])).toEqual([['route:b', 'fired']]);
    set('route:a', 0);
    expect(run([rule()], subjects).map((e) => [e.subject, e.state])).toEqual([['route:a', 'resolved']]);
    expect(evaluator.firing().map((f) => f.subject)).toEqual(['route:b']);
  });

  it('resolves a firing subject that is no longer listed once it has no data', () => {
    const { run, set } = setup();
    set('route:gone', 0.5);
    run([rule()], ['route:gone']);
    set('route:gone', undefined, 0);
    expect(run([rule()], [])).toEqual([expect.objectContaining({ subject: 'route:gone', state: 'resolved' })]);
  });

  it('compares below for lt rules and uses a per-subject threshold when the reading has one', () => {
    const { evaluator } = setup();
    const success = rule({ id: 'r2', metric: 'success_rate', comparator: 'lt', threshold: 0.99 });
    const latency = rule({ id: 'r3', metric: 'p95_latency_ms', threshold: 10_000 });
    const events = evaluator.evaluate(
      [success, latency],
      (r) => (r.id === 'r2' ? { value: 0.95, sample: 40 } : { value: 2_500, sample: 40, threshold: 2_000 }),
      () => ['all'],
    );
    expect(events.map((e) => e.message)).toEqual([
      'success rate 95% < 99% on all (5 min, 40 requests)',
      'p95 latency 2500 ms > 2000 ms on all (5 min, 40 requests)',
    ]);
  });

  it('resolves what a rule fired when the rule is disabled, and forgets deleted rules', () => {
    const { run, set, evaluator } = setup();
    set('route:gpt-4o', 0.5);
    run([rule(), rule({ id: 'r2' })]);
    expect(run([rule({ enabled: false })])).toEqual([
      expect.objectContaining({ ruleId: 'r1', state: 'resolved', message: expect.stringContaining('rule disabled') }),
    ]);
    evaluator.forget('r2');
    expect(evaluator.firing()).toEqual([]);
  });

  it('round-trips its state through JSON into another instance', async () => {
    const a = setup();
    a.set('route:x', 0.5);
    a.set('route:y', 0.5);
    a.run([rule()], ['route:x', 'route:y']);
    a.set('route:y', 0);
    a.run([rule()], ['route:x', 'route:y']);

    const b = setup();
    b.evaluator.importState(JSON.parse(JSON.stringify(a.evaluator.exportState())));
    expect(b.evaluator.firing()).toEqual(a.evaluator.firing());
    expect(b.evaluator.exportState()).toEqual(a.evaluator.exportState());
    // x is still firing and y is cooling down: neither emits on the new instance.
    b.set('route:x', 0.5);
    b.set('route:y', 0.5);
    expect(b.run([rule()], ['route:x', 'route:y'])).toEqual([]);
  });
});
