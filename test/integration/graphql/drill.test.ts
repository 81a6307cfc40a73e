import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProfile } from '../../../shared/contracts/fault-profile.js';
import { createDrillService } from '../../../server/services/drills.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { complete } from '../monitoring/support.js';
import { expectData, expectError, expectRejected } from './support.js';

const DRILL_FIELDS = 'routeId model profile startedAt endsAt';
const START = `mutation ($input: StartDrillInput!) { startDrill(input: $input) { ${DRILL_FIELDS} } }`;
const STOP = 'mutation ($routeId: ID!) { stopDrill(routeId: $routeId) }';
const DRILLS = `{ drills { ${DRILL_FIELDS} } }`;
const failing = { errorRates: { '500': 1 } };

let tb: TestBackstop;
let acmeKey: string;
let viewerKey: string;

beforeAll(async () => {
  tb = await startTestBackstop();
  acmeKey = await tb.key('tenant', 'acme');
  viewerKey = await tb.key('viewer');
});
afterEach(async () => {
  for (const { routeId } of tb.services.drills.list()) await tb.services.drills.stop(routeId);
});
afterAll(() => tb.close());

describe('a drill on the critical primary', () => {
  it('makes completions fall back while it runs, and stopping it sends them to the primary again', async () => {
    const before = Date.now();
    const { startDrill } = expectData(
      await tb.gql(START, { input: { routeId: 'gpt-4o', profile: failing, durationSeconds: 120 } }),
    );
    expect(startDrill).toMatchObject({ routeId: 'gpt-4o', model: 'gpt-4o', profile: failing });
    expect(Date.parse(startDrill.endsAt) - Date.parse(startDrill.startedAt)).toBe(120_000);
    expect(Date.parse(startDrill.startedAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(expectData(await tb.gql(DRILLS, {}, viewerKey)).drills).toEqual([startDrill]);

    const during = await complete(tb, 'critical', 'drill: during');
    expect(during).toMatchObject({ status: 'answered', routeId: 'claude-sonnet-4', tier: 1 });
    expect(tb.sim.stats().models['gpt-4o']!.outcomes.status_500).toBeGreaterThan(0);

    expect(expectData(await tb.gql(STOP, { routeId: 'gpt-4o' })).stopDrill).toBe(true);
    expect(expectData(await tb.gql(DRILLS)).drills).toEqual([]);
    expect(tb.sim.profiles()).toEqual({});
    expect(await complete(tb, 'critical', 'drill: after')).toMatchObject({ routeId: 'gpt-4o', tier: 0 });
    expect(expectData(await tb.gql(STOP, { routeId: 'gpt-4o' })).stopDrill).toBe(false);
  });

  it('puts back the profile the model had before the drill', async () => {
    const slow: FaultProfile = { latency: { kind: 'fixed', ms: 1 } };
    tb.sim.setProfile('gpt-4.1', slow);
    try {
      expectData(await tb.gql(START, { input: { routeId: 'gpt-4.1', profile: failing, durationSeconds: 30 } }));
      expect(tb.sim.profiles()['gpt-4.1']).toEqual(failing);
      expectData(await tb.gql(STOP, { routeId: 'gpt-4.1' }));
      expect(tb.sim.profiles()['gpt-4.1']).toEqual(slow);
    } finally {
      tb.sim.clearProfile('gpt-4.1');
    }
  });

  it('writes drill.started and drill.stopped to the audit log with the admin who did it', async () => {
    expectData(await tb.gql(START, { input: { routeId: 'gpt-4.1', profile: failing, durationSeconds: 30 } }));
    expectData(await tb.gql(STOP, { routeId: 'gpt-4.1' }));
    const { auditLog, me } = expectData(
      await tb.gql('{ me { keyId } auditLog(first: 2) { actorKeyId action target details } }'),
    );
    expect([...auditLog].reverse()).toEqual([
      {
        actorKeyId: me.keyId,
        action: 'drill.started',
        target: 'gpt-4.1',
        details: expect.objectContaining({ model: 'gpt-4.1', profile: failing, durationSeconds: 30 }),
      },
      { actorKeyId: me.keyId, action: 'drill.stopped', target: 'gpt-4.1', details: { model: 'gpt-4.1' } },
    ]);
  });
});

describe('drill access and input', () => {
  const valid = { routeId: 'gpt-4o', profile: failing, durationSeconds: 60 };

  it('refuses tenant keys everything and viewers the mutations, changing nothing', async () => {
    for (const key of [acmeKey, viewerKey]) {
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(START, { input: valid }, key));
      await expectRejected(tb, 'FORBIDDEN', () => tb.gql(STOP, { routeId: 'gpt-4o' }, key));
    }
    expectError(await tb.gql(DRILLS, {}, acmeKey), 'FORBIDDEN');
    expect(tb.services.drills.list()).toEqual([]);
    expect(tb.sim.profiles()).toEqual({});
  });

  it('rejects an invalid profile, duration or route as BAD_USER_INPUT naming the field', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ ...valid, profile: { errorRates: { '500': -0.5 } } }, 'input.profile.errorRates.500'],
      [{ ...valid, profile: { errorRates: { '500': 0.6, '503': 0.6 } } }, 'input.profile.errorRates'],
      [{ ...valid, profile: { latency: { kind: 'fixed', ms: -1 } } }, 'input.profile.latency.ms'],
      [{ ...valid, profile: { errorRate: 1 } }, 'input.profile.errorRate'],
      [{ ...valid, profile: 'broken' }, 'input.profile'],
      [{ ...valid, durationSeconds: 5 }, 'input.durationSeconds'],
      [{ ...valid, durationSeconds: 901 }, 'input.durationSeconds'],
      [{ ...valid, routeId: 'no-such-route' }, 'input.routeId'],
    ];
    for (const [input, path] of bad) {
      const error = await expectRejected(tb, 'BAD_USER_INPUT', () => tb.gql(START, { input }));
      expect(error.extensions!.issues, JSON.stringify(input)).toEqual([expect.objectContaining({ path })]);
    }
    const unknown = expectError(await tb.gql(STOP, { routeId: 'no-such-route' }), 'BAD_USER_INPUT');
    expect(unknown.extensions!.issues).toEqual([expect.objectContaining({ path: 'routeId' })]);
    expect(tb.sim.profiles()).toEqual({});
  });

  it('answers DRILL_UNAVAILABLE when no simulator runs (real providers)', async () => {
    const withSimulator = tb.services.drills;
    const { config, clock } = tb.services;
    tb.services.drills = createDrillService({ routes: config.routes, clock });
    try {
      await expectRejected(tb, 'DRILL_UNAVAILABLE', () => tb.gql(START, { input: valid }));
      expect(expectData(await tb.gql(DRILLS)).drills).toEqual([]);
    } finally {
      tb.services.drills = withSimulator;
    }
  });
});
