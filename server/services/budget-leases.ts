import type { BudgetSnapshot } from '../../shared/contracts/budget.js';
import { BackstopError } from '../../shared/engine/errors.js';
import type { Clock, ReservationResult } from '../../shared/engine/ports.js';
import { settleWithin } from '../../shared/engine/timeout.js';
import type { PgBudgetStore } from './pg-budget-store.js';

export interface BudgetLeaseOptions {
  clock: Clock;
  newId: () => string;
  /** A lease is retired (its unused part handed back) this long after it was taken. Default 2 000 ms. */
  leaseMs?: number;
  /** Local spend is charged to the database at least this often; also the most a SIGKILL can lose. Default 500 ms. */
  flushEveryMs?: number;
  /** A lease holds at most this many times the request's own reservation. Default 256. */
  requestsPerLease?: number;
  /** A lease takes at most this share of what is left of the tightest limit. Default 1/8. */
  headroomShare?: number;
  /** With less headroom than this many requests' worth, every request reserves in the database itself. Default 32. */
  exactBelowRequests?: number;
  /** Lease holds not refreshed for this long belong to a dead process and are released. Default 5 min. */
  staleLeaseMs?: number;
  /** Any hold older than this is released (no request lives that long). Default 1 h. */
  staleHoldMs?: number;
  /**
   * A charge not confirmed within this long is given up and sent again on a later flush (same ledger id, so at most
   * once). postgres.js 3.4.9 can leave a transaction pending for good when its connection resets. Default 10 000 ms.
   */
  writeTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

interface Lease {
  id: string;
  tenantId: string;
  daily: boolean;
  /** What the lease was taken for. */
  sizeUsd: number;
  /** The hold the database has for this lease right now. */
  capacityUsd: number;
  /** Charged to the database so far. */
  chargedUsd: number;
  /** Open local holds carved from it. */
  heldUsd: number;
  /** Charged locally, not yet in the database. */
  spentUsd: number;
  openedAtMs: number;
  retired: boolean;
  charges: number;
  flushing?: Promise<void> | undefined;
  /** A charge sent but not confirmed: it may have committed (the reply was lost), so it is sent again as it was. */
  unconfirmed?: Charge | undefined;
}

interface Charge {
  chargeUsd: number;
  keepUsd: number;
  ledgerId: string;
}

export interface LeasedBudgetStore extends PgBudgetStore {
  /** Charges local spend to the database now and hands back retired leases. */
  flush(): Promise<void>;
  /** Releases holds left behind by processes that died (leases not refreshed, or any hold older than an hour). */
  sweep(): Promise<number>;
  /** Stops the timers, retires every lease and charges what it spent. */
  close(): Promise<void>;
}

const LEASE_PREFIX = 'lease:';
const toNano = (usd: number) => Math.max(0, Math.round(usd * 1e9) / 1e9);
const available = (l: Lease) => l.capacityUsd - l.heldUsd - l.spentUsd;

/** The most one more hold may take before the tightest of the tenant's limits; Infinity without a budget. */
function headroomOf(snapshot: BudgetSnapshot | undefined, daily: boolean): number {
  if (!snapshot) return Infinity;
  const limits = [snapshot.monthlyLimitUsd - snapshot.spentUsd - snapshot.reservedUsd];
  if (snapshot.prepaidBalanceUsd !== null) limits.push(snapshot.prepaidBalanceUsd - snapshot.reservedUsd);
  // The snapshot has no daily holds; the month's holds bound them from above.
  if (daily && snapshot.dailyLimitUsd !== null)
    limits.push(snapshot.dailyLimitUsd - snapshot.dailySpentUsd - snapshot.reservedUsd);
  return Math.min(...limits);
}

/**
 * Budget leases: each process holds a slice of a tenant's budget as one reservation in Postgres and carves requests'
 * holds out of it in memory, so the hot path makes no database round trip. The slice is taken with the same atomic
 * reserve as any request, so instances together still never pass a limit; it is small (a share of what is left) and
 * short-lived, and near a limit every request reserves in the database itself, exactly as without leases. Local spend
 * is charged on a timer and when the lease is retired; a SIGKILL loses at most `flushEveryMs` of charges, and the dead
 * process's lease holds are released by any instance's sweep once they stop being refreshed.
 */
export function createBudgetLeases(inner: PgBudgetStore, options: BudgetLeaseOptions): LeasedBudgetStore {
  const { clock, newId } = options;
  const leaseMs = options.leaseMs ?? 2_000;
  const flushEveryMs = options.flushEveryMs ?? 500;
  const requestsPerLease = options.requestsPerLease ?? 256;
  const headroomShare = options.headroomShare ?? 1 / 8;
  const exactBelowRequests = options.exactBelowRequests ?? 32;
  const staleLeaseMs = options.staleLeaseMs ?? 5 * 60_000;
  const staleHoldMs = options.staleHoldMs ?? 60 * 60_000;
  const onError = options.onError ?? (() => undefined);
  const writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
  const bounded = (work: Promise<void>) =>
    settleWithin(
      clock,
      writeTimeoutMs,
      work,
      () => new Error(`budget charge not confirmed in time (writeTimeoutMs=${writeTimeoutMs})`),
    );

  const active = new Map<string, Lease>();
  const leases = new Set<Lease>();
  const acquiring = new Map<string, Promise<Lease | 'exact'>>();
  const holds = new Map<string, { lease: Lease; amountUsd: number }>();
  const exact = new Set<string>();
  /** The newest lease per key, retired or not: what keeps serving while the database is away. */
  const latest = new Map<string, Lease>();
  /** The last snapshot read per tenant, served (with local spend) while the database is away. */
  const lastSnapshots = new Map<string, BudgetSnapshot | undefined>();
  const keyOf = (tenantId: string, daily: boolean) => `${tenantId}\u0000${daily ? 'd' : 'm'}`;

  const retire = (lease: Lease) => {
    lease.retired = true;
    const key = keyOf(lease.tenantId, lease.daily);
    if (active.get(key) === lease) active.delete(key);
  };

  const forget = (lease: Lease) => {
    leases.delete(lease);
    const key = keyOf(lease.tenantId, lease.daily);
    if (latest.get(key) === lease) latest.delete(key);
  };

  /**
   * Charges what the lease spent and shrinks its hold to what it still needs; one flush per lease at a time. A charge
   * whose reply was lost may have committed, so it is sent again unchanged under the same ledger id (a no-op the
   * second time) before any newer spend is charged: a cut connection never charges the same spend twice.
   */
  const flushLease = (lease: Lease): Promise<void> => {
    if (lease.flushing) return lease.flushing;
    const resend = lease.unconfirmed;
    let charge = resend;
    if (!charge) {
      if (!lease.retired && available(lease) <= 0) retire(lease);
      // The database keeps nine decimals; rounding here keeps the local and stored holds equal.
      const chargeUsd = toNano(lease.spentUsd);
      const keepUsd = toNano(lease.retired ? lease.heldUsd : lease.capacityUsd - chargeUsd);
      if (chargeUsd === 0 && keepUsd === lease.capacityUsd) {
        if (lease.retired && keepUsd === 0 && lease.heldUsd === 0) forget(lease);
        return Promise.resolve();
      }
      charge = { chargeUsd, keepUsd, ledgerId: `charge:${lease.id}:${++lease.charges}` };
    }
    const { chargeUsd, keepUsd } = charge;
    // A bare shrink or release is safe to repeat, and is worked out afresh each time.
    lease.unconfirmed = chargeUsd > 0 ? charge : undefined;
    const write = bounded(
      chargeUsd === 0 && keepUsd === 0
        ? inner.release(lease.id)
        : inner.chargeHold(lease.id, { ...charge, orphan: { tenantId: lease.tenantId, daily: lease.daily } }),
    );
    let confirmed = false;
    lease.flushing = write
      .then(() => {
        confirmed = true;
        lease.unconfirmed = undefined;
        lease.spentUsd = toNano(lease.spentUsd - chargeUsd) === 0 ? 0 : lease.spentUsd - chargeUsd;
        lease.chargedUsd += chargeUsd;
        lease.capacityUsd = keepUsd;
        if (lease.retired && keepUsd === 0) {
          // Holds taken meanwhile (the outage fallback may use a retired lease) keep it open, now without a hold
          // in the database: their spend is charged on the next flush all the same.
          if (lease.heldUsd === 0 && lease.spentUsd === 0) forget(lease);
        }
      })
      .catch(onError)
      .finally(() => (lease.flushing = undefined))
      // A resent charge only settles the past; what was spent since is charged right after it.
      .then(() => (confirmed && resend ? flushLease(lease) : undefined));
    return lease.flushing;
  };

  const acquire = (tenantId: string, daily: boolean, amountUsd: number): Promise<Lease | 'exact'> => {
    const key = keyOf(tenantId, daily);
    const pending = acquiring.get(key);
    if (pending) return pending;
    const attempt = (async (): Promise<Lease | 'exact'> => {
      const headroom = headroomOf(await inner.snapshot(tenantId), daily);
      if (headroom < amountUsd * exactBelowRequests) return 'exact';
      const size =
        Math.ceil(Math.max(amountUsd, Math.min(amountUsd * requestsPerLease, headroom * headroomShare)) * 1e9) / 1e9;
      if (!(size > 0)) return 'exact';
      const lease: Lease = {
        id: `${LEASE_PREFIX}${newId()}`,
        tenantId,
        daily,
        sizeUsd: size,
        capacityUsd: size,
        chargedUsd: 0,
        heldUsd: 0,
        spentUsd: 0,
        openedAtMs: clock.now(),
        retired: false,
        charges: 0,
      };
      const taken = await inner.reserve({ tenantId, reservationId: lease.id, amountUsd: size, daily });
      if (!taken.ok) return 'exact';
      leases.add(lease);
      const previous = active.get(key);
      if (previous) retire(previous);
      active.set(key, lease);
      latest.set(key, lease);
      return lease;
    })().finally(() => acquiring.delete(key));
    acquiring.set(key, attempt);
    return attempt;
  };

  const finishHold = (reservationId: string, chargeUsd: number | undefined) => {
    const local = holds.get(reservationId);
    if (!local) return false;
    holds.delete(reservationId);
    const { lease } = local;
    // Float residue must not keep a drained lease open.
    lease.heldUsd = Math.abs(lease.heldUsd - local.amountUsd) < 1e-9 ? 0 : lease.heldUsd - local.amountUsd;
    if (chargeUsd !== undefined) lease.spentUsd += chargeUsd;
    if (lease.retired && lease.heldUsd === 0) void flushLease(lease);
    return true;
  };

  const tick = () => {
    const now = clock.now();
    for (const lease of leases) {
      if (!lease.retired && now - lease.openedAtMs >= leaseMs) retire(lease);
      void flushLease(lease);
    }
  };
  const flushTimer = setInterval(tick, flushEveryMs);
  flushTimer.unref();

  const sweep = async () => {
    const now = clock.now();
    const leasesGone = await inner.releaseStale({
      olderThan: new Date(now - staleLeaseMs),
      idPrefix: LEASE_PREFIX,
    });
    return leasesGone + (await inner.releaseStale({ olderThan: new Date(now - staleHoldMs) }));
  };
  const sweepTimer = setInterval(() => void sweep().catch(onError), 60_000);
  sweepTimer.unref();

  const retireTenant = (tenantId: string) => {
    for (const lease of [...active.values()]) if (lease.tenantId === tenantId) retire(lease);
  };

  const store: LeasedBudgetStore = {
    async snapshot(tenantId) {
      let snapshot: BudgetSnapshot | undefined;
      try {
        snapshot = await inner.snapshot(tenantId);
        if (lastSnapshots.size > 10_000) lastSnapshots.clear();
        lastSnapshots.set(tenantId, snapshot);
      } catch (error) {
        // While the database is away the last reading, with this process's spend since, is the best there is.
        if (!lastSnapshots.has(tenantId)) throw error;
        snapshot = lastSnapshots.get(tenantId);
      }
      if (!snapshot) return snapshot;
      // The database counts a whole lease as held; locally only its open holds are, and its charges are spent.
      const adjusted = { ...snapshot };
      for (const lease of leases) {
        if (lease.tenantId !== tenantId) continue;
        adjusted.reservedUsd += lease.heldUsd - lease.capacityUsd;
        adjusted.spentUsd += lease.spentUsd;
        if (lease.daily) adjusted.dailySpentUsd += lease.spentUsd;
        if (adjusted.prepaidBalanceUsd !== null) adjusted.prepaidBalanceUsd -= lease.spentUsd;
      }
      adjusted.reservedUsd = Math.max(0, adjusted.reservedUsd);
      return adjusted;
    },

    async reserve(input): Promise<ReservationResult> {
      const { tenantId, reservationId, amountUsd, daily } = input;
      if (!Number.isFinite(amountUsd) || amountUsd < 0) {
        throw new BackstopError('INTERNAL', `amountUsd must be a finite, non-negative number (amountUsd=${amountUsd})`);
      }
      const key = keyOf(tenantId, daily);
      const hold = (lease: Lease): ReservationResult => {
        lease.heldUsd += amountUsd;
        holds.set(reservationId, { lease, amountUsd });
        return { ok: true };
      };
      for (let round = 0; round < 3; round++) {
        const lease = active.get(key);
        if (lease && clock.now() - lease.openedAtMs < leaseMs && available(lease) >= amountUsd) return hold(lease);
        let next: Lease | 'exact';
        try {
          next = await acquire(tenantId, daily, amountUsd);
        } catch (error) {
          // The database is away. The slice this process already holds in it keeps serving, and may be overdrawn
          // once by its own size: a bounded overspend, charged when the database returns, instead of an outage.
          const fallback = latest.get(key);
          const used = fallback ? fallback.chargedUsd + fallback.spentUsd + fallback.heldUsd : Infinity;
          if (fallback && used + amountUsd <= 2 * fallback.sizeUsd) return hold(fallback);
          throw error;
        }
        if (next === 'exact') {
          if (lease) retire(lease);
          break;
        }
      }
      const result = await inner.reserve(input);
      if (result.ok) exact.add(reservationId);
      return result;
    },

    async settle(reservationId, actualUsd) {
      if (!Number.isFinite(actualUsd) || actualUsd < 0) {
        throw new BackstopError('INTERNAL', `actualUsd must be a finite, non-negative number (actualUsd=${actualUsd})`);
      }
      if (finishHold(reservationId, actualUsd)) return;
      exact.delete(reservationId);
      await inner.settle(reservationId, actualUsd);
    },

    async release(reservationId) {
      if (finishHold(reservationId, undefined)) return;
      exact.delete(reservationId);
      await inner.release(reservationId);
    },

    consumeRetry: (tenantId) => inner.consumeRetry(tenantId),

    async setBudget(tenantId, settings) {
      await inner.setBudget(tenantId, settings);
      retireTenant(tenantId);
    },

    async topUp(tenantId, amountUsd) {
      const balance = await inner.topUp(tenantId, amountUsd);
      retireTenant(tenantId);
      return balance;
    },

    chargeHold: (reservationId, charge) => inner.chargeHold(reservationId, charge),
    releaseStale: (options) => inner.releaseStale(options),

    async flush() {
      await Promise.all([...leases].map((lease) => lease.flushing ?? Promise.resolve()));
      await Promise.all([...leases].map(flushLease));
    },

    sweep,

    async close() {
      clearInterval(flushTimer);
      clearInterval(sweepTimer);
      for (const lease of leases) retire(lease);
      // A flush that failed (database away) is tried again a few times before the process gives up on it.
      for (let i = 0; i < 3 && leases.size > 0; i++) await store.flush();
    },
  };
  return store;
}
