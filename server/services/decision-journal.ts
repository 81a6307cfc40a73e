import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Decision } from '../../shared/contracts/decision.js';
import type { DecisionExtra } from './decision-writer.js';

export interface JournalEntry {
  decision: Decision;
  extra: DecisionExtra | undefined;
}

/** Where the decision writer keeps what it has buffered, so a killed process loses no row. */
export interface DecisionJournal {
  /** Appends one buffered entry; synchronous, so it is in the OS's hands before the request is answered. */
  append(entry: JournalEntry): void;
  /** Everything appended so far is in the database (or was dropped on purpose): forget it. */
  settled(): void;
  /** Entries a previous process left unwritten; call once at startup, then `finishRecovery` once they are written. */
  recover(): JournalEntry[];
  finishRecovery(): void;
  close(): void;
}

export interface DecisionJournalOptions {
  /** Folder of the journal; one process per folder (each instance has its own data dir). */
  dir: string;
  /** Past this size the journal stops growing (the database is away for long); rows beyond it live in memory only. */
  maxBytes?: number;
  /** Told once each time the journal fills up. */
  onFull?: () => void;
}

const CURRENT = 'decisions.jsonl';
const RECOVERING = /^decisions\.recovering-\d+\.jsonl$/;

/**
 * A write-ahead journal for buffered decision rows: one JSON line per decision, appended with a synchronous write
 * before the request returns, truncated whenever the writer has nothing left in memory. A SIGKILL leaves the lines in
 * the file (the kernel has them even without fsync; a power cut is not covered), and the next process writes them
 * first. Replays are harmless: decisions insert with ON CONFLICT DO NOTHING and only fresh rows feed the rollups.
 */
export function createDecisionJournal(options: DecisionJournalOptions): DecisionJournal {
  const { dir, maxBytes = 256 * 1024 * 1024 } = options;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, CURRENT);
  // What the last process left is moved aside before this one appends its own lines to a fresh file.
  if (existsSync(path) && statSync(path).size > 0)
    renameSync(path, join(dir, `decisions.recovering-${Date.now()}.jsonl`));
  const fd = openSync(path, 'a');
  let size = fstatSync(fd).size;
  let full = false;
  let recovered: string[] = [];

  return {
    append(entry) {
      if (size >= maxBytes) {
        if (!full) options.onFull?.();
        full = true;
        return;
      }
      const line = `${JSON.stringify(entry)}\n`;
      size += writeSync(fd, line);
    },
    settled() {
      if (size === 0) return;
      ftruncateSync(fd, 0);
      size = 0;
      full = false;
    },
    recover() {
      recovered = readdirSync(dir)
        .filter((name) => RECOVERING.test(name))
        .sort();
      const entries: JournalEntry[] = [];
      for (const name of recovered) {
        for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
          if (!line) continue;
          try {
            entries.push(JSON.parse(line) as JournalEntry);
          } catch {
            // The last line of a killed process may be cut short: that request never got its answer either.
          }
        }
      }
      return entries;
    },
    finishRecovery() {
      for (const name of recovered) rmSync(join(dir, name), { force: true });
      recovered = [];
    },
    close() {
      closeSync(fd);
    },
  };
}
