import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { CompletionRequestSchema, type CompletionRequestInput } from '../../shared/contracts/completion.js';
import type { Decision } from '../../shared/contracts/decision.js';
import type { ShadowRoute } from '../../shared/contracts/shadow.js';
import { DEFAULT_ROUTES } from '../../shared/engine/default-routes.js';
import { createRouteCatalog } from '../../shared/engine/policy-matrix.js';
import type { DecisionContext, DecisionSink } from '../../shared/engine/ports.js';
import { costUsd, estimateCostUsd } from '../../shared/engine/pricing.js';
import { attemptRecord, decision } from '../../shared/testing/decision-fixtures.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { createFakeProviders } from '../../shared/testing/fake-provider.js';
import { createShadowMirror, isMirrorable, type ShadowMirrorOptions } from './shadow-mirror.js';
import type { ShadowHold, ShadowResultRow } from './shadow-store.js';

const routes = createRouteCatalog(DEFAULT_ROUTES);
const CANDIDATE = 'claude-sonnet-4';

const shadowRoute = (over: Partial<ShadowRoute> = {}): ShadowRoute => ({
  id: 'shadow-1',
  scope: 'global',
  trafficClass: null,
  routeId: CANDIDATE,
  sampleRate: 1,
  timeoutMs: 5_000,
  budgetUsd: 10,
  spentUsd: 0,
  reservedUsd: 0,
  status: 'running',
  createdBy: 'key-1',
  createdAt: new Date(0),
  stoppedAt: null,
  ...over,
});

const context = (over: Partial<CompletionRequestInput> = {}, answer = 'served answer'): DecisionContext => ({
  request: CompletionRequestSchema.parse({ messages: [{ role: 'user', content: 'hello there' }], ...over }),
  answer,
});

/** A shadow budget ledger in memory, with the store's rules: a hold fits only under the budget. */
function memoryLedger(budgetUsd = 10) {
  const holds = new Map<string, number>();
  const ledger = {
    spent: 0,
    reserved: 0,
    results: [] as ShadowResultRow[],
    stopped: false,
    reserve: vi.fn(async (_id: string, est: number, holdId: string): Promise<ShadowHold> => {
      if (ledger.stopped) return 'stopped';
      if (ledger.spent + ledger.reserved + est > budgetUsd) return 'no_budget';
      ledger.reserved += est;
      holds.set(holdId, est);
      return 'held';
    }),
    settle: vi.fn(async (holdId: string, row: ShadowResultRow) => {
      ledger.spent += row.shadowCostUsd ?? 0;
      ledger.reserved -= holds.get(holdId) ?? 0;
      holds.delete(holdId);
      ledger.results.push(row);
    }),
    release: vi.fn(async (holdId: string) => {
      ledger.reserved -= holds.get(holdId) ?? 0;
      holds.delete(holdId);
    }),
    record: vi.fn(async (row: ShadowResultRow) => void ledger.results.push(row)),
  };
  return ledger;
}

function setup(over: Partial<ShadowMirrorOptions> & { shadows?: ShadowRoute[]; budgetUsd?: number } = {}) {
  const clock = createFakeClock();
  const providers = createFakeProviders(clock);
  const ledger = memoryLedger(over.budgetUsd);
  const inner: DecisionSink & { seen: Decision[] } = { seen: [], record: (d) => void inner.seen.push(d) };
  const shadows = over.shadows ?? [shadowRoute()];
  const logger = pino({ level: 'silent' });
  const mirror = createShadowMirror({
    inner,
    ledger,
    active: () => shadows,
    routes,
    providers: providers.resolve,
    clock,
    random: () => 0.5,
    logger,
    ...over,
  });
  return { clock, providers, ledger, inner, mirror, logger };
}

describe('shadow mirror', () => {
  it('hands every decision to the inner sink unchanged, before any mirrored call starts', () => {
    const { inner, providers, mirror } = setup();
    const d = decision();
    mirror.sink.record(d, context());
    expect(inner.seen).toEqual([d]);
    expect(inner.seen[0]).toBe(d);
    expect(providers.calls).toHaveLength(0);
    expect(mirror.inFlight()).toBe(1);
  });

  it('calls the candidate route after the request is served and records both sides with the shadow cost', async () => {
    const { providers, ledger, mirror, clock } = setup();
    providers.script(CANDIDATE, { answer: 'shadow answer', delayMs: 250 });
    const ctx = context();
    mirror.sink.record(decision(), ctx);
    await clock.run(mirror.idle());
    const route = routes.get(CANDIDATE)!;
    const cost = costUsd(route, { inputTokens: 10, outputTokens: 5 });
    const holdId = `${decision().id}:shadow-1`;
    expect(ledger.reserve).toHaveBeenCalledWith('shadow-1', estimateCostUsd(route, ctx.request.messages, {}), holdId);
    expect(ledger.settle).toHaveBeenCalledWith(holdId, expect.objectContaining({ shadowOutcome: 'success' }));
    expect(ledger.reserved).toBeCloseTo(0, 12);
    expect(ledger.results).toEqual([
      {
        shadowId: 'shadow-1',
        decisionId: 'dec-1',
        tenantId: 'acme',
        trafficClass: 'critical',
        servingRouteId: 'gpt-4o',
        servingOutcome: 'success',
        servingLatencyMs: 400,
        servingCostUsd: 0.001,
        servingSchemaPass: null,
        shadowOutcome: 'success',
        shadowFailureKind: null,
        shadowLatencyMs: 250,
        shadowCostUsd: cost,
        shadowSchemaPass: null,
      },
    ]);
    expect(ledger.spent).toBe(cost);
    expect(ledger.reserved).toBeCloseTo(0, 12);
  });

  it('stores no prompt or answer text in a result', async () => {
    const { ledger, mirror, clock } = setup();
    mirror.sink.record(
      decision(),
      context({ messages: [{ role: 'user', content: 'secret-prompt-text' }] }, 'secret-answer'),
    );
    await clock.run(mirror.idle());
    expect(JSON.stringify(ledger.results)).not.toMatch(/secret-|ok from/);
  });

  it('times a hanging candidate out after the shadow timeout, charging nothing, while the request never waited', async () => {
    const { providers, ledger, mirror, clock, inner } = setup({ shadows: [shadowRoute({ timeoutMs: 3_000 })] });
    providers.always(CANDIDATE, { hang: true });
    mirror.sink.record(decision(), context());
    expect(inner.seen).toHaveLength(1);
    await clock.advance(2_999);
    expect(ledger.results).toEqual([]);
    expect(mirror.inFlight()).toBe(1);
    await clock.advance(1);
    await clock.run(mirror.idle());
    expect(ledger.results[0]).toMatchObject({
      shadowOutcome: 'failure',
      shadowFailureKind: 'timeout',
      shadowLatencyMs: 3_000,
    });
    expect(ledger.results[0]!.shadowCostUsd).toBe(0);
    expect(providers.calls[0]!.aborted).toBe(true);
    expect(ledger.reserved).toBeCloseTo(0, 12);
  });

  it('records a failing candidate with its failure kind', async () => {
    const { providers, ledger, mirror, clock } = setup();
    providers.always(CANDIDATE, { fail: 'server_error' });
    mirror.sink.record(decision(), context());
    await clock.run(mirror.idle());
    expect(ledger.results[0]).toMatchObject({ shadowOutcome: 'failure', shadowFailureKind: 'server_error' });
  });

  it('makes no call and records skipped_budget when the shadow budget cannot hold the estimate', async () => {
    const { providers, ledger, mirror, clock } = setup({ budgetUsd: 0.000001 });
    mirror.sink.record(decision(), context());
    await clock.run(mirror.idle());
    expect(providers.calls).toHaveLength(0);
    expect(ledger.results).toEqual([expect.objectContaining({ shadowOutcome: 'skipped_budget', decisionId: 'dec-1' })]);
    expect(ledger.results[0]).not.toHaveProperty('shadowCostUsd');
    expect(ledger.spent).toBe(0);
  });

  it('makes no call and records nothing for a shadow stopped before its hold', async () => {
    const { providers, ledger, mirror, clock } = setup();
    ledger.stopped = true;
    mirror.sink.record(decision(), context());
    await clock.run(mirror.idle());
    expect(providers.calls).toHaveLength(0);
    expect(ledger.results).toEqual([]);
  });

  it('never mirrors a sensitive request, whether the request or its class made it sensitive', async () => {
    const { providers, mirror, clock, inner } = setup();
    mirror.sink.record(decision({ sensitive: true }), context());
    mirror.sink.record(decision(), context({ sensitive: true }));
    await clock.run(mirror.idle());
    expect(inner.seen).toHaveLength(2);
    expect(providers.calls).toHaveLength(0);
  });

  it('leaves out deferred requests and those refused before any call', () => {
    const req = context().request;
    expect(isMirrorable(decision({ outcome: 'queued', jobId: 'j' }), req)).toBe(false);
    expect(isMirrorable(decision({ outcome: 'in_review' }), req)).toBe(false);
    expect(isMirrorable(decision({ outcome: 'failed', attempts: [] }), req)).toBe(false);
    const failedCall = attemptRecord({ outcome: 'failure', failureKind: 'server_error' });
    expect(isMirrorable(decision({ outcome: 'failed', attempts: [failedCall] }), req)).toBe(true);
    expect(isMirrorable(decision({ outcome: 'degraded', degradedReasons: ['fallback'] }), req)).toBe(true);
  });

  it('mirrors only the scope and traffic class of each shadow', async () => {
    const shadows = [
      shadowRoute({ id: 'acme-batch', scope: 'acme', trafficClass: 'batch' }),
      shadowRoute({ id: 'other', scope: 'other-co' }),
      shadowRoute({ id: 'acme-all', scope: 'acme' }),
    ];
    const { ledger, mirror, clock } = setup({ shadows });
    mirror.sink.record(decision({ trafficClass: 'critical' }), context());
    mirror.sink.record(decision({ id: 'dec-2', trafficClass: 'batch' }), context());
    await clock.run(mirror.idle());
    const pairs = ledger.results.map((r) => `${r.shadowId}:${r.decisionId}`).sort();
    expect(pairs).toEqual(['acme-all:dec-1', 'acme-all:dec-2', 'acme-batch:dec-2']);
  });

  it('samples with the injected random: a draw at or above the rate is not mirrored', async () => {
    const draws = [0.1, 0.3, 0.29];
    const { providers, mirror, clock } = setup({
      shadows: [shadowRoute({ sampleRate: 0.3 })],
      random: () => draws.shift()!,
    });
    for (let i = 0; i < 3; i++) mirror.sink.record(decision({ id: `d${i}` }), context());
    await clock.run(mirror.idle());
    expect(providers.calls).toHaveLength(2);
  });

  it('skips and counts sampled requests past the in-flight limit, so a hanging route cannot pile them up', async () => {
    const { providers, mirror, clock } = setup({ maxInFlight: 2 });
    providers.always(CANDIDATE, { hang: true });
    for (let i = 0; i < 5; i++) mirror.sink.record(decision({ id: `d${i}` }), context());
    expect(mirror.inFlight()).toBe(2);
    expect(mirror.skippedBusy('shadow-1')).toBe(3);
    await clock.run(mirror.idle());
    expect(providers.calls).toHaveLength(2);
  });

  it('checks both answers against the response schema when the request has one', async () => {
    const responseSchema = { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } };
    const { providers, ledger, mirror, clock } = setup();
    providers.script(CANDIDATE, { answer: '{"ok": "nope"}' }, { answer: '{"ok": true}' });
    mirror.sink.record(decision(), context({ responseSchema }, '{"ok": true}'));
    mirror.sink.record(decision({ id: 'dec-2' }), context({ responseSchema }, 'not json'));
    await clock.run(mirror.idle());
    const byDecision = Object.fromEntries(ledger.results.map((r) => [r.decisionId, r]));
    expect(byDecision['dec-1']).toMatchObject({
      servingSchemaPass: true,
      shadowOutcome: 'success',
      shadowSchemaPass: false,
    });
    expect(byDecision['dec-2']).toMatchObject({
      servingSchemaPass: false,
      shadowOutcome: 'success',
      shadowSchemaPass: true,
    });
  });

  it('keeps a ledger failure away from the request and logs it', async () => {
    const { ledger, mirror, clock, inner, logger } = setup();
    const warn = vi.spyOn(logger, 'warn');
    ledger.reserve.mockRejectedValueOnce(new Error('database down'));
    expect(() => mirror.sink.record(decision(), context())).not.toThrow();
    await clock.run(mirror.idle());
    expect(inner.seen).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ shadowId: 'shadow-1' }),
      expect.stringContaining('shadow'),
    );
  });

  it('on close, aborts the calls in flight, releases their holds and records nothing', async () => {
    const { providers, ledger, mirror, clock } = setup();
    providers.always(CANDIDATE, { hang: true });
    mirror.sink.record(decision(), context());
    await clock.advance(10);
    expect(providers.calls).toHaveLength(1);
    await clock.run(mirror.close());
    expect(providers.calls[0]!.aborted).toBe(true);
    expect(ledger.release).toHaveBeenCalledOnce();
    expect(ledger.results).toEqual([]);
    expect(ledger.reserved).toBeCloseTo(0, 12);
    mirror.sink.record(decision({ id: 'after' }), context());
    expect(mirror.inFlight()).toBe(0);
  });
});
