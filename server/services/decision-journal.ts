import {
  closeSync,
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
  /**
   * Everything appended so far except the newest `pending` entries is in the database (or was dropped on purpose):
   * forget it. The writer's pending rows are always the newest ones, as it writes and drops oldest first.
   */
  release(pending: number): void;
  /** Entries a previous process left unwritten; call once at startup, then `finishRecovery` once they are written. */
  recover(): JournalEntry[];
  finishRecovery(): void;
  close(): void;
}

export interface DecisionJournalOptions {
  /** Folder of the journal; one process per folder (each instance has its own data dir). */
  dir: string;
  /** Past this size (all segments together) the journal stops growing; rows beyond it live in memory only. */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size. Defaults to 4 MiB. */
  segmentBytes?: number;
  /** Told once each time the journal fills up. */
  onFull?: () => void;
}

const CURRENT = 'decisions.jsonl';
// Closed segments, numbered in order; the current one is always `decisions.jsonl`.
const SEGMENT = /^decisions\.(\d+)\.jsonl$/;
const RECOVERING = /^decisions\.recovering-\d+(-\d+)?\.jsonl$/;
const pad = (n: number) => String(n).padStart(9, '0');

/**
 * A write-ahead journal for buffered decision rows: one JSON line per decision, appended with a synchronous write
 * before the request returns. A SIGKILL leaves the lines in the files (the kernel has them even without fsync; a power
 * cut is not covered), and the next process writes them first. Replays are harmless: decisions insert with ON CONFLICT
 * DO NOTHING and only fresh rows feed the rollups.
 *
 * The journal is a chain of segments: past `segmentBytes` the current file is closed and a new one started, and a
 * closed segment is deleted once every entry in it is written. Under steady load the writer is never empty, so
 * forgetting only when it was (as a single file did) let the file grow until `maxBytes` and stop protecting rows.
 */
export function createDecisionJournal(options: DecisionJournalOptions): DecisionJournal {
  const { dir, maxBytes = 256 * 1024 * 1024, segmentBytes = 4 * 1024 * 1024 } = options;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, CURRENT);
  // What the last process left is moved aside, oldest segment first, before this one appends its own lines.
  const left = readdirSync(dir)
    .map((name) => ({ name, n: name === CURRENT ? Infinity : Number(SEGMENT.exec(name)?.[1] ?? NaN) }))
    .filter(({ n }) => !Number.isNaN(n))
    .sort((a, b) => a.n - b.n);
  const stamp = Date.now();
  left.forEach(({ name }, i) => {
    const from = join(dir, name);
    if (statSync(from).size > 0) renameSync(from, join(dir, `decisions.recovering-${stamp}-${pad(i)}.jsonl`));
    else rmSync(from, { force: true });
  });
  let fd = openSync(path, 'a');
  let size = fstatSync(fd).size;
  /** Entries appended to the journal so far, and how many of them each closed segment ends at. */
  let appended = 0;
  const closed: { file: string; size: number; endsAt: number }[] = [];
  let closedBytes = 0;
  let segments = 0;
  let full = false;
  let recovered: string[] = [];

  const rotate = () => {
    closeSync(fd);
    const file = join(dir, `decisions.${pad(++segments)}.jsonl`);
    renameSync(path, file);
    closed.push({ file, size, endsAt: appended });
    closedBytes += size;
    fd = openSync(path, 'a');
    size = 0;
  };

  return {
    append(entry) {
      if (closedBytes + size >= maxBytes) {
        if (!full) options.onFull?.();
        full = true;
        return;
      }
      const line = `${JSON.stringify(entry)}\n`;
      size += writeSync(fd, line);
      appended++;
      if (size >= segmentBytes) rotate();
    },
    release(pending) {
      const done = appended - pending;
      while (closed.length > 0 && closed[0]!.endsAt <= done) {
        const segment = closed.shift()!;
        rmSync(segment.file, { force: true });
        closedBytes -= segment.size;
      }
      if (pending <= 0 && size > 0) {
        ftruncateSync(fd, 0);
        size = 0;
      }
      if (closedBytes + size < maxBytes) full = false;
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
