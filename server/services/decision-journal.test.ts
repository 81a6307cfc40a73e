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

  it('forgets everything once the writer says it is settled', () => {
    const dir = freshDir();
    const journal = createDecisionJournal({ dir });
    journal.append(entry('d1'));
    journal.settled();
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
    journal.settled();
    journal.append(entry('after'));
    expect(createDecisionJournal({ dir }).recover()).toEqual([entry('after')]);
  });
});
