import { sql } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { attempts, decisionRollups, decisions } from '../../drizzle/schema/index.js';
import type { Decision } from '../../shared/contracts/decision.js';
import type { Clock } from '../../shared/engine/ports.js';
import { settleWithin } from '../../shared/engine/timeout.js';
import type { DecisionJournal } from './decision-journal.js';
import {
  attemptRecords,
  decisionRecord,
  rollups,
  UnwritableDecisionError,
  type DecisionEntry as Entry,
} from './decision-rows.js';
import { insertRecordset } from './recordset-insert.js';

/** What the privacy layer adds to a decision row: never raw prompt text unless the tenant opted in and it is redacted. */
export interface DecisionExtra {
  promptHash?: string;
  promptChars?: number;
  /** Redacted prompt and answer, JSON-serializable. */
  content?: unknown;
}

export interface DecisionWriterOptions {
  db: Database;
  /** Drives the flush, backoff and timeout timers. Defaults to real timers that do not keep the process alive. */
  clock?: Clock;
  /** Decisions per database round. Defaults to 2 000. */
  batchSize?: number;
  /** Delay between a record and its flush, in milliseconds. Defaults to 200. */
  flushIntervalMs?: number;
  /** Pending decisions kept while the database is away; past it the oldest are dropped. Defaults to 50 000. */
  maxBuffered?: number;
  /** Cap of the retry delay while the database fails, in milliseconds. Defaults to 30 000. */
  maxBackoffMs?: number;
  /** A batch not committed after this long is retried, in milliseconds. Defaults to 10 000. */
  writeTimeoutMs?: number;
  /** Every failed write, for logs and metrics. Must not throw. */
  onError?: (error: unknown) => void;
  /** Decisions dropped (buffer full, rejected by the database, or recorded after close). Must not throw. */
  onDrop?: (count: number) => void;
  /** Keeps buffered rows on disk until they are written, so a killed process loses none. */
  journal?: DecisionJournal;
}

/** Buffers decisions and writes them in batches. */
export interface DecisionWriter {
  /** Buffers one decision; returns at once and never throws. */
  record(decision: Decision, extra?: DecisionExtra): void;
  /** Writes everything buffered (including what arrives meanwhile); rejects if the database fails, keeping the rows. */
  flush(): Promise<void>;
  /** Stops the timer and flushes; later records are dropped. Rejects like `flush` if the database is away. */
  close(): Promise<void>;
  /** Decisions not yet written, including a batch in flight. */
  bufferDepth(): number;
  /** Decisions dropped since creation. */
  droppedCount(): number;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    // A pending flush must not hold the process open; shutdown calls close() to write the rest.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Data (22xxx) and constraint (23xxx) errors will fail again on retry; everything else may be transient. */
function isPermanent(error: unknown): boolean {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof UnwritableDecisionError) return true;
    const code = (e as { code?: unknown }).code;
    // 54xxx: a value past a Postgres limit (an over-long key, say) fails the same way every time.
    if (typeof code === 'string' && code.length === 5) return ['22', '23', '54'].includes(code.slice(0, 2));
    if (typeof e !== 'object') break;
  }
  return false;
}

/**
 * Writes one batch in one transaction. Decisions and attempts are inserted with ON CONFLICT DO NOTHING, and only the
 * decisions this transaction inserted feed the rollups, so a batch retried after a lost acknowledgement counts once.
 */
async function writeBatch(tx: Tx, batch: readonly Entry[]): Promise<void> {
  const fresh = new Set(await insertRecordset(tx, decisions, batch.map(decisionRecord), 'id'));
  const written = [...new Map(batch.map((e) => [e.decision.id, e.decision])).values()].filter((d) => fresh.has(d.id));
  await insertRecordset(tx, attempts, written.flatMap(attemptRecords));
  const sums = rollups(written);
  if (sums.length === 0) return;
  const r = decisionRollups;
  const add = (column: string) => sql.raw(`"decision_rollups"."${column}" + excluded."${column}"`);
  await tx
    .insert(decisionRollups)
    .values(sums)
    .onConflictDoUpdate({
      target: [r.bucketStart, r.tenantId, r.trafficClass, r.routeId, r.model, r.tier],
      set: {
        requests: add('requests'),
        successes: add('successes'),
        fallbacks: add('fallbacks'),
        degraded: add('degraded'),
        costUsd: add('cost_usd'),
        // Element-wise sum of the two histograms; a full join keeps slots that only one side has.
        latencyCounts: sql`(select jsonb_agg(coalesce(a.n::numeric, 0) + coalesce(b.n::numeric, 0)
          order by coalesce(a.i, b.i))
          from jsonb_array_elements("decision_rollups"."latency_counts") with ordinality as a(n, i)
          full join jsonb_array_elements(excluded."latency_counts") with ordinality as b(n, i) on a.i = b.i)`,
      },
    });
}

/**
 * A `DecisionSink` backend that never blocks the request path: `record` only appends to a buffer, and a timer writes
 * batches (decisions, attempts and per-minute rollups in one transaction). While the database is away the rows stay
 * buffered and writes are retried with capped exponential backoff, so nothing is lost once it returns. Memory is
 * bounded: past `maxBuffered` pending rows the OLDEST are dropped and counted (`onDrop`, `droppedCount`); a batch
 * in flight comes on top, so at most `maxBuffered + batchSize` decisions are held. A decision the database rejects as
 * invalid (SQLSTATE 22xxx/23xxx) is isolated from its batch, dropped and counted, instead of blocking every later one.
 * @example
 * const writer = createDecisionWriter({ db, onError: (e) => log.warn({ err: e }, 'decision write failed') });
 * writer.record(decision, { promptHash });
 * await writer.close();
 */
export function createDecisionWriter(options: DecisionWriterOptions): DecisionWriter {
  const { db, clock = realClock, batchSize = 2_000, flushIntervalMs = 200, maxBuffered = 50_000 } = options;
  const { maxBackoffMs = 30_000, writeTimeoutMs = 10_000 } = options;
  let buffer: Entry[] = [];
  let inFlight = 0;
  let dropped = 0;
  let failures = 0;
  let closed = false;
  let running = 0;
  let chain: Promise<void> = Promise.resolve();
  let cancelTimer: (() => void) | undefined;
  let timerAt = Infinity;

  // Callbacks belong to the caller; one that throws must not break the writer.
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      /* the caller's logger failed; nothing better to do */
    }
  };
  const drop = (count: number) => {
    if (count <= 0) return;
    dropped += count;
    try {
      options.onDrop?.(count);
    } catch (error) {
      report(error);
    }
  };
  const trim = () => {
    const excess = buffer.length - maxBuffered;
    if (excess > 0) drop(buffer.splice(0, excess).length);
  };

  // The abandoned transaction may still commit later; idempotent inserts make the retry harmless.
  const withTimeout = (work: Promise<void>) =>
    settleWithin(
      clock,
      writeTimeoutMs,
      work,
      () => new Error(`decision batch not committed in time (timeoutMs=${writeTimeoutMs})`),
    );
  const write = (batch: Entry[]) => withTimeout(db.transaction((tx) => writeBatch(tx, batch)));

  /** Writes the oldest batch; on a transient failure puts it back in front and rethrows. */
  const writeNext = async () => {
    const batch = buffer.splice(0, batchSize);
    inFlight = batch.length;
    try {
      await write(batch);
    } catch (error) {
      report(error);
      if (!isPermanent(error)) {
        inFlight = 0;
        buffer = batch.concat(buffer);
        trim();
        throw error;
      }
      // One decision poisons the batch: write them one at a time and drop only those rejected.
      for (let i = 0; i < batch.length; i++) {
        try {
          await write([batch[i]!]);
        } catch (single) {
          report(single);
          if (isPermanent(single)) {
            drop(1);
            continue;
          }
          inFlight = 0;
          buffer = batch.slice(i).concat(buffer);
          trim();
          throw single;
        }
      }
    } finally {
      inFlight = 0;
    }
  };

  const schedule = (delayMs: number) => {
    const at = clock.now() + delayMs;
    if (cancelTimer && timerAt <= at) return;
    cancelTimer?.();
    timerAt = at;
    cancelTimer = clock.setTimeout(() => {
      cancelTimer = undefined;
      timerAt = Infinity;
      drain().catch(() => undefined);
    }, delayMs);
  };
  const rearm = () => {
    if (closed || running > 0 || buffer.length === 0) return;
    if (failures > 0) schedule(Math.min(flushIntervalMs * 2 ** failures, maxBackoffMs));
    else schedule(buffer.length >= batchSize ? 0 : flushIntervalMs);
  };

  /** One writer at a time: timer ticks and explicit flushes queue behind each other. */
  const drain = (): Promise<void> => {
    running++;
    const run = chain.then(async () => {
      try {
        while (buffer.length > 0) {
          await writeNext();
          // Counted and released in one synchronous step: no record can slip in between. Under steady load the
          // buffer is never empty here, so the journal lets go of whole segments behind the pending rows.
          try {
            options.journal?.release(buffer.length + inFlight);
          } catch (error) {
            // A journal that cannot forget only keeps rows longer; the batch itself was written.
            report(error);
          }
        }
        failures = 0;
      } catch (error) {
        failures++;
        throw error;
      } finally {
        running--;
        rearm();
      }
    });
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    record(decision, extra) {
      try {
        if (closed) return drop(1);
        buffer.push({ decision, extra });
        trim();
        rearm();
      } catch (error) {
        report(error);
      }
      try {
        if (!closed) options.journal?.append({ decision, extra });
      } catch (error) {
        report(error);
      }
    },
    flush: drain,
    async close() {
      closed = true;
      cancelTimer?.();
      cancelTimer = undefined;
      try {
        await drain();
      } finally {
        // Rows still unwritten stay in the journal file for the next process.
        options.journal?.close();
      }
    },
    bufferDepth: () => buffer.length + inFlight,
    droppedCount: () => dropped,
  };
}
