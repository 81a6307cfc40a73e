import { describe, expect, it } from 'vitest';
import type { Decision } from '../../shared/contracts/decision.js';
import { testDatabases } from '../../test/support/databases.js';
import { decision, decisionWriterHarness } from '../../test/support/decision-writer-harness.js';

describe.each(await testDatabases())('createDecisionWriter ($name)', ({ open }) => {
  const { setup, idsOf, attemptCount, requestsOf } = decisionWriterHarness(open);

  it('flushes on its timer flushIntervalMs after a record', async () => {
    const { clock, state, writer, tenantId } = setup({ flushIntervalMs: 200 });
    writer.record(decision(tenantId, `${tenantId}-1`));
    await clock.advance(199);
    expect(state.transactions).toBe(0);
    await clock.advance(1);
    expect(state.transactions).toBe(1);
    await writer.flush();
    expect(state.transactions).toBe(1);
    expect(await idsOf(tenantId)).toHaveLength(1);
  });

  it('records 1,000 decisions synchronously without touching the database', async () => {
    const { state, writer, tenantId } = setup();
    for (let i = 0; i < 1_000; i++) expect(writer.record(decision(tenantId, `${tenantId}-${i}`))).toBeUndefined();
    expect(writer.bufferDepth()).toBe(1_000);
    expect(state.transactions).toBe(0);
    await writer.flush();
    expect(writer.bufferDepth()).toBe(0);
    expect(await idsOf(tenantId)).toHaveLength(1_000);
  });

  it('close writes every buffered batch, then drops and counts later records', async () => {
    const { state, writer, drops, tenantId } = setup({ batchSize: 500 });
    for (let i = 0; i < 1_234; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await writer.close();
    expect(state.transactions).toBe(3);
    expect(await idsOf(tenantId)).toHaveLength(1_234);
    expect(await requestsOf(tenantId)).toBe(1_234);
    writer.record(decision(tenantId, `${tenantId}-late`));
    expect(writer.droppedCount()).toBe(1);
    expect(drops).toEqual([1]);
  });

  it('keeps every row while the database is unreachable and writes them all once it returns', async () => {
    const { clock, state, writer, errors, tenantId } = setup({ flushIntervalMs: 200, maxBackoffMs: 1_000 });
    state.down = true;
    for (let i = 0; i < 50; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await clock.advance(200);
    expect(errors).toHaveLength(1);
    expect(writer.bufferDepth()).toBe(50);
    // Backoff doubles from the flush interval: the next try is 400 ms later, then 800, then capped at 1 000.
    await clock.advance(399);
    expect(state.transactions).toBe(1);
    await clock.advance(1);
    expect(state.transactions).toBe(2);
    for (let i = 50; i < 75; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await clock.advance(800);
    await clock.advance(1_000);
    expect(state.transactions).toBe(4);
    expect(writer.bufferDepth()).toBe(75);
    state.down = false;
    await clock.advance(1_000);
    await writer.flush();
    expect(state.transactions).toBe(5);
    expect(await idsOf(tenantId)).toHaveLength(75);
    expect(await requestsOf(tenantId)).toBe(75);
    expect(writer.droppedCount()).toBe(0);
  });

  it('drops the oldest rows past maxBuffered, counts them, and writes the newest', async () => {
    const { state, writer, drops, tenantId } = setup({ maxBuffered: 5 });
    state.down = true;
    for (let i = 0; i < 20; i++) writer.record(decision(tenantId, `${tenantId}-${String(i).padStart(2, '0')}`));
    expect(writer.bufferDepth()).toBe(5);
    expect(writer.droppedCount()).toBe(15);
    await expect(writer.flush()).rejects.toThrow(/ECONNREFUSED/);
    // Records that arrive while a failing batch is out push the batch's oldest rows out when it comes back.
    writer.record(decision(tenantId, `${tenantId}-20`));
    expect(writer.bufferDepth()).toBe(5);
    expect(writer.droppedCount()).toBe(16);
    expect(drops.reduce((a, b) => a + b, 0)).toBe(16);
    state.down = false;
    await writer.flush();
    expect(await idsOf(tenantId)).toEqual(['16', '17', '18', '19', '20'].map((n) => `${tenantId}-${n}`));
  });

  it('does not duplicate rows or rollup counts when a committed batch is retried', async () => {
    const { state, writer, errors, tenantId } = setup();
    state.lostAcks = 1;
    for (let i = 0; i < 10; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await expect(writer.flush()).rejects.toThrow(/ECONNRESET/);
    expect(writer.bufferDepth()).toBe(10);
    await writer.flush();
    expect(errors).toHaveLength(1);
    expect(await idsOf(tenantId)).toHaveLength(10);
    expect(await attemptCount(tenantId)).toBe(10);
    expect(await requestsOf(tenantId)).toBe(10);
  });

  it('drops and counts a decision the database rejects, and writes the rest of its batch', async () => {
    const { writer, errors, drops, tenantId } = setup();
    writer.record(decision(tenantId, `${tenantId}-ok1`));
    writer.record(decision(tenantId, `${tenantId}-bad`, { inputTokens: Number.NaN }));
    writer.record(decision(tenantId, `${tenantId}-ok2`));
    await writer.flush();
    expect(await idsOf(tenantId)).toEqual([`${tenantId}-ok1`, `${tenantId}-ok2`]);
    expect(drops).toEqual([1]);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(await requestsOf(tenantId)).toBe(2);
  });

  it('tells the journal after each batch how many newer rows are still pending', async () => {
    const released: number[] = [];
    const journal = {
      append: () => undefined,
      release: (pending: number) => released.push(pending),
      recover: () => [],
      finishRecovery: () => undefined,
      close: () => undefined,
    };
    const { writer, tenantId } = setup({ journal, batchSize: 2 });
    for (let i = 0; i < 5; i++) writer.record(decision(tenantId, `${tenantId}-${i}`));
    await writer.flush();
    expect(released).toEqual([3, 1, 0]);
  });

  it('journals every record and tells the journal how many rows are still unwritten after each batch', async () => {
    const log: string[] = [];
    const journal = {
      append: (e: { decision: Decision }) => log.push(`append ${e.decision.id}`),
      release: (pending: number) => log.push(`release ${pending}`),
      recover: () => [],
      finishRecovery: () => undefined,
      close: () => log.push('close'),
    };
    const { writer, state, tenantId } = setup({ journal });
    writer.record(decision(tenantId, `${tenantId}-1`));
    state.down = true;
    await expect(writer.flush()).rejects.toThrow();
    expect(log).toEqual([`append ${tenantId}-1`]);
    state.down = false;
    writer.record(decision(tenantId, `${tenantId}-2`));
    await writer.close();
    expect(log).toEqual([`append ${tenantId}-1`, `append ${tenantId}-2`, 'release 0', 'close']);
    expect(await idsOf(tenantId)).toEqual([`${tenantId}-1`, `${tenantId}-2`]);
  });
});
