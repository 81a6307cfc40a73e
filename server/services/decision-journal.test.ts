import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../shared/contracts/decision.js';
import { createDecisionJournal } from './decision-journal.js';

const decision = (id: string) => ({ id, tenantId: 'acme', attempts: [] }) as unknown as Decision;
const entry = (id: string) => ({ decision: decision(id), extra: { promptHash: `hash-${id}` } });
const freshDir = () => mkdtempSync(join(tmpdir(), 'backstop-journal-'));

describe('decision journal', () => {
  it('hands the rows a killed process left to the next one, in order', () => {
    const dir = freshDir();
    const first = createDecisionJournal({ dir });
    first.append(entry('d1'));
    first.append(entry('d2'));
    // no close(): the process is gone
    const next = createDecisionJournal({ dir });
    expect(next.recover()).toEqual([entry('d1'), entry('d2')]);
    next.finishRecovery();
    expect(readdirSync(dir)).toEqual(['decisions.jsonl']);
    expect(createDecisionJournal({ dir }).recover()).toEqual([]);
  });

  it('forgets everything once the writer has nothing pending', () => {
    const dir = freshDir();
    const journal = createDecisionJournal({ dir });
    journal.append(entry('d1'));
    journal.release(0);
    journal.append(entry('d2'));
    journal.close();
    expect(createDecisionJournal({ dir }).recover()).toEqual([entry('d2')]);
  });

  it('skips a last line cut short by the kill', () => {
    const dir = freshDir();
    const journal = createDecisionJournal({ dir });
    journal.append(entry('d1'));
    appendFileSync(join(dir, 'decisions.jsonl'), '{"decision":{"id":"d2","ten');
    expect(createDecisionJournal({ dir }).recover()).toEqual([entry('d1')]);
  });

  it('stops growing at maxBytes and says so once', () => {
    const dir = freshDir();
    let full = 0;
    const journal = createDecisionJournal({ dir, maxBytes: 200, onFull: () => full++ });
    for (let i = 0; i < 10; i++) journal.append(entry(`d${i}`));
    expect(full).toBe(1);
    expect(readFileSync(join(dir, 'decisions.jsonl'), 'utf8').length).toBeLessThan(400);
    journal.release(0);
    journal.append(entry('after'));
    expect(createDecisionJournal({ dir }).recover()).toEqual([entry('after')]);
  });

  // Each entry line is ~90 bytes: a 200-byte segment closes after three.
  const SEGMENT = 200;

  it('keeps a closed segment until every entry in it is written, then deletes it', () => {
    const dir = freshDir();
    const journal = createDecisionJournal({ dir, segmentBytes: SEGMENT });
    for (const id of ['d1', 'd2', 'd3', 'd4', 'd5']) journal.append(entry(id));
    expect(readdirSync(dir).sort()).toEqual(['decisions.000000001.jsonl', 'decisions.jsonl']);
    // d3 is still pending: the segment holding d1..d3 stays.
    journal.release(3);
    expect(readdirSync(dir)).toHaveLength(2);
    journal.release(2);
    expect(readdirSync(dir)).toEqual(['decisions.jsonl']);
    // A kill now: the next process replays only what was pending.
    expect(createDecisionJournal({ dir }).recover()).toEqual([entry('d4'), entry('d5')]);
  });

  it('hands every segment a killed process left to the next one, oldest first', () => {
    const dir = freshDir();
    const journal = createDecisionJournal({ dir, segmentBytes: SEGMENT });
    const ids = Array.from({ length: 8 }, (_, i) => `d${i}`);
    for (const id of ids) journal.append(entry(id));
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    const next = createDecisionJournal({ dir, segmentBytes: SEGMENT });
    expect(next.recover()).toEqual(ids.map(entry));
    next.finishRecovery();
    expect(readdirSync(dir)).toEqual(['decisions.jsonl']);
  });

  it('stays small under steady load, where the writer always has rows pending', () => {
    const dir = freshDir();
    let full = 0;
    const journal = createDecisionJournal({ dir, segmentBytes: SEGMENT, maxBytes: 2_000, onFull: () => full++ });
    // 1,000 entries (~90 KB), each batch written while the next ten arrive: never empty, never full.
    for (let i = 0; i < 1_000; i++) {
      journal.append(entry(`d${i}`));
      if (i % 10 === 9) journal.release(10);
    }
    expect(full).toBe(0);
    const bytes = readdirSync(dir).reduce((sum, name) => sum + readFileSync(join(dir, name)).length, 0);
    expect(bytes).toBeLessThan(2 * SEGMENT + 1_000);
    const pending = createDecisionJournal({ dir }).recover();
    expect(pending.slice(-10)).toEqual(Array.from({ length: 10 }, (_, i) => entry(`d${990 + i}`)));
  });
});
