import { randomUUID } from 'node:crypto';
import { and, eq, isNotNull, like, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { budgets, budgetUsage, reservations, spendLedger } from '../../drizzle/schema/index.js';
import type { BudgetSettings, BudgetSnapshot } from '../../shared/contracts/budget.js';
import { BackstopError } from '../../shared/engine/errors.js';
import type { BudgetStore, Clock, ReservationResult } from '../../shared/engine/ports.js';

export interface PgBudgetStoreOptions {
  db: Database;
  /** Decides the UTC month and day a reservation or charge belongs to. */
  clock: Clock;
}

/** A `BudgetStore` shared by every gateway process on one database, plus budget administration. */
export interface PgBudgetStore extends BudgetStore {
  /** Sets or replaces a tenant's budget (the tenant row must exist); spend is kept, the prepaid balance is replaced. */
  setBudget(tenantId: string, settings: BudgetSettings): Promise<void>;
  /**
   * Adds `amountUsd` to a prepaid balance and records a 'topup' ledger row; resolves to the new balance in USD.
   * Throws `BackstopError` (REQUEST_REJECTED) when the amount is not positive or the tenant has no prepaid balance.
   */
  topUp(tenantId: string, amountUsd: number): Promise<number>;
  /**
   * Charges part of a hold and keeps `keepUsd` of it (0 drops it, as `settle` does); `ledgerId` names the charge's
   * ledger row, so repeated partial charges of one hold each get their own, and a charge sent again under the same
   * `ledgerId` (its reply was lost) is a no-op. With `orphan`, a charge whose hold is gone still lands on that
   * tenant's current periods. Used by budget leases.
   */
  chargeHold(
    reservationId: string,
    charge: {
      chargeUsd: number;
      keepUsd: number;
      ledgerId: string;
      orphan?: { tenantId: string; daily: boolean } | undefined;
    },
  ): Promise<void>;
  /** Releases holds created (or last refreshed) before `olderThan`, optionally only ids starting with `idPrefix`. */
  releaseStale(options: { olderThan: Date; idPrefix?: string }): Promise<number>;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type Budget = 'monthly' | 'prepaid' | 'daily';

class Denied extends Error {
  constructor(readonly budget: Budget) {
    super(`reservation denied by the ${budget} budget`);
  }
}

// Amounts go to SQL as numeric so that limit checks are exact decimal arithmetic, not float.
const usd = (n: number): SQL => sql`${String(n)}::numeric`;
const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

// A NaN would poison the usage row for good ('NaN'::numeric is valid and absorbs every later sum).
function assertAmount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new BackstopError('INTERNAL', `${name} must be a finite, non-negative number (${name}=${value})`);
  }
}

/**
 * Holds made before the current month (or day) rolled over still count against the limit, like the memory store's.
 * Only ever shrinks once the period has passed, so reading it without a lock errs on the safe side.
 */
function carried(tenantId: string, periodLength: 7 | 10, current: string) {
  return sql<number>`(select coalesce(sum(${budgetUsage.reservedUsd}), 0) from ${budgetUsage}
    where ${budgetUsage.tenantId} = ${tenantId} and ${budgetUsage.period} <> ${current}
      and length(${budgetUsage.period}) = ${periodLength} and ${budgetUsage.reservedUsd} <> 0)`.mapWith(Number);
}

/** Adds `amountUsd` to one usage row's holds when `limit` (a condition on that row) allows; undefined when it refused. */
async function hold(tx: Tx, tenantId: string, period: string, amountUsd: number, limit: SQL | undefined) {
  const rows = await tx
    .update(budgetUsage)
    .set({ reservedUsd: sql`${budgetUsage.reservedUsd} + ${usd(amountUsd)}` })
    .where(and(eq(budgetUsage.tenantId, tenantId), eq(budgetUsage.period, period), limit))
    .returning({ reservedUsd: budgetUsage.reservedUsd });
  return rows[0];
}

/**
 * A Postgres `BudgetStore`. `reserve` is one transaction of conditional UPDATEs on the tenant's month (then day) usage
 * row, so concurrent requests on any number of processes cannot together pass a limit. Every transaction takes row
 * locks in one order (usage rows by ascending period, which puts a month before its days, then the budgets row), so
 * reserve, settle and release never deadlock one another. Periods are UTC months and days of `clock`.
 * @example
 * const budgets = createPgBudgetStore({ db, clock: systemClock });
 * await budgets.setBudget('acme', { monthlyLimitUsd: 100, prepaidBalanceUsd: null, dailyLimitUsd: 5, retryBudgetPerDay: 20 });
 */
export function createPgBudgetStore({ db, clock }: PgBudgetStoreOptions): PgBudgetStore {
  const reserveOnce = (input: Parameters<BudgetStore['reserve']>[0]) =>
    db.transaction(async (tx) => {
      const { tenantId, reservationId, amountUsd, daily } = input;
      const now = clock.now();
      const month = monthOf(now);
      const day = dayOf(now);
      // Inserting the hold first makes a repeated reserve a no-op, and a concurrent twin waits on its key.
      const fresh = await tx
        .insert(reservations)
        .values({ id: reservationId, tenantId, amountUsd, month, day, daily, createdAt: new Date(now) })
        .onConflictDoNothing()
        .returning({ id: reservations.id });
      if (fresh.length === 0) return;
      const periods = daily ? [month, day] : [month];
      await tx
        .insert(budgetUsage)
        .values(periods.map((period) => ({ tenantId, period })))
        .onConflictDoNothing();
      const [settings] = await tx
        .select({
          monthlyLimitUsd: budgets.monthlyLimitUsd,
          prepaidBalanceUsd: budgets.prepaidBalanceUsd,
          dailyLimitUsd: budgets.dailyLimitUsd,
          monthCarry: carried(tenantId, 7, month),
          dayCarry: carried(tenantId, 10, day),
        })
        .from(budgets)
        .where(eq(budgets.tenantId, tenantId));
      // Tenants without a budget are unlimited, but their holds are tracked so a budget set later starts right.
      const within = (limit: number | null | undefined, carry: number) =>
        limit === null || limit === undefined
          ? undefined
          : sql`${budgetUsage.spentUsd} + ${budgetUsage.reservedUsd} + ${usd(carry)} + ${usd(amountUsd)} <= ${usd(limit)}`;

      const monthRow = await hold(
        tx,
        tenantId,
        month,
        amountUsd,
        within(settings?.monthlyLimitUsd, settings?.monthCarry ?? 0),
      );
      if (!monthRow) throw new Denied('monthly');
      if (settings && settings.prepaidBalanceUsd !== null) {
        // Read after the month row is locked: every settle takes that lock before it lowers the balance.
        const [balance] = await tx
          .select({
            ok: sql<boolean>`${budgets.prepaidBalanceUsd} is null
              or ${budgets.prepaidBalanceUsd} - ${usd(monthRow.reservedUsd)} - ${usd(settings.monthCarry)} >= 0`,
          })
          .from(budgets)
          .where(eq(budgets.tenantId, tenantId));
        if (balance && !balance.ok) throw new Denied('prepaid');
      }
      if (
        daily &&
        !(await hold(tx, tenantId, day, amountUsd, within(settings?.dailyLimitUsd, settings?.dayCarry ?? 0)))
      ) {
        throw new Denied('daily');
      }
    });

  /**
   * Charges `chargeUsd` to the current periods and shrinks the hold to `keepUsd` (0 drops it), in one transaction.
   * The hold comes off the periods it was made in; the charge lands on the current ones (as in memory).
   */
  const chargeHold = (
    reservationId: string,
    chargeUsd: number,
    keepUsd: number,
    ledgerId: string,
    orphan?: { tenantId: string; daily: boolean },
  ) =>
    db.transaction(async (tx) => {
      const [row] =
        keepUsd > 0
          ? await tx.select().from(reservations).where(eq(reservations.id, reservationId)).for('update')
          : await tx.delete(reservations).where(eq(reservations.id, reservationId)).returning();
      const now = clock.now();
      // A lease's hold may be gone (swept, or dropped by its last charge) while spend made on it is still due.
      const held =
        row ??
        (orphan && chargeUsd > 0 ? { ...orphan, amountUsd: 0, month: monthOf(now), day: dayOf(now) } : undefined);
      if (!held) return;
      if (chargeUsd > 0 || keepUsd === 0) {
        // The ledger row goes first: a charge resent after a lost reply finds its row and changes nothing.
        const fresh = await tx
          .insert(spendLedger)
          .values({
            id: ledgerId,
            tenantId: held.tenantId,
            kind: 'charge',
            amountUsd: chargeUsd,
            createdAt: new Date(now),
          })
          .onConflictDoNothing({ target: spendLedger.id })
          .returning({ id: spendLedger.id });
        if (fresh.length === 0) return;
      }
      const freedUsd = Math.max(0, held.amountUsd - keepUsd);
      const deltas = new Map<string, { spentUsd: number; heldUsd: number }>();
      const add = (period: string, spentUsd: number, heldUsd: number) => {
        const d = deltas.get(period) ?? { spentUsd: 0, heldUsd: 0 };
        deltas.set(period, { spentUsd: d.spentUsd + spentUsd, heldUsd: d.heldUsd + heldUsd });
      };
      add(held.month, 0, freedUsd);
      add(monthOf(now), chargeUsd, 0);
      if (held.daily) {
        add(held.day, 0, freedUsd);
        add(dayOf(now), chargeUsd, 0);
      }
      for (const period of [...deltas.keys()].sort()) {
        const d = deltas.get(period)!;
        await tx
          .insert(budgetUsage)
          .values({ tenantId: held.tenantId, period, spentUsd: d.spentUsd })
          .onConflictDoUpdate({
            target: [budgetUsage.tenantId, budgetUsage.period],
            set: {
              spentUsd: sql`${budgetUsage.spentUsd} + ${usd(d.spentUsd)}`,
              reservedUsd: sql`${budgetUsage.reservedUsd} - ${usd(d.heldUsd)}`,
            },
          });
      }
      if (keepUsd > 0 && row) {
        // A kept hold is refreshed, so a sweep of stale holds leaves a live lease alone.
        await tx
          .update(reservations)
          .set({ amountUsd: Math.min(keepUsd, held.amountUsd), createdAt: new Date(now) })
          .where(eq(reservations.id, reservationId));
      }
      if (chargeUsd === 0 && keepUsd > 0) return;
      // A call that cost more than it reserved may take the balance below zero: that overdraft was really spent.
      await tx
        .update(budgets)
        .set({ prepaidBalanceUsd: sql`${budgets.prepaidBalanceUsd} - ${usd(chargeUsd)}` })
        .where(and(eq(budgets.tenantId, held.tenantId), isNotNull(budgets.prepaidBalanceUsd)));
    });

  return {
    async snapshot(tenantId) {
      const now = clock.now();
      const usage = (period: string, column: typeof budgetUsage.spentUsd | typeof budgetUsage.retriesUsed) =>
        sql<number>`coalesce((select ${column} from ${budgetUsage}
          where ${budgetUsage.tenantId} = ${tenantId} and ${budgetUsage.period} = ${period}), 0)`.mapWith(Number);
      const [row] = await db
        .select({
          monthlyLimitUsd: budgets.monthlyLimitUsd,
          prepaidBalanceUsd: budgets.prepaidBalanceUsd,
          dailyLimitUsd: budgets.dailyLimitUsd,
          retryBudgetPerDay: budgets.retryBudgetPerDay,
          spentUsd: usage(monthOf(now), budgetUsage.spentUsd),
          reservedUsd: sql<number>`(select coalesce(sum(${budgetUsage.reservedUsd}), 0) from ${budgetUsage}
            where ${budgetUsage.tenantId} = ${tenantId} and length(${budgetUsage.period}) = 7)`.mapWith(Number),
          dailySpentUsd: usage(dayOf(now), budgetUsage.spentUsd),
          retriesUsedToday: usage(dayOf(now), budgetUsage.retriesUsed),
        })
        .from(budgets)
        .where(eq(budgets.tenantId, tenantId));
      if (!row) return undefined;
      const snapshot: BudgetSnapshot = { tenantId, ...row };
      return snapshot;
    },

    async reserve(input): Promise<ReservationResult> {
      assertAmount('amountUsd', input.amountUsd);
      try {
        await reserveOnce(input);
        return { ok: true };
      } catch (error) {
        if (error instanceof Denied) return { ok: false, budget: error.budget };
        throw error;
      }
    },

    async settle(reservationId, actualUsd) {
      assertAmount('actualUsd', actualUsd);
      await chargeHold(reservationId, actualUsd, 0, `charge:${reservationId}`);
    },

    async chargeHold(reservationId, { chargeUsd, keepUsd, ledgerId, orphan }) {
      assertAmount('chargeUsd', chargeUsd);
      assertAmount('keepUsd', keepUsd);
      await chargeHold(reservationId, chargeUsd, keepUsd, ledgerId, orphan);
    },

    async releaseStale({ olderThan, idPrefix }) {
      const stale = await db
        .select({ id: reservations.id })
        .from(reservations)
        .where(
          and(
            lt(reservations.createdAt, olderThan),
            idPrefix === undefined ? undefined : like(reservations.id, `${idPrefix}%`),
          ),
        );
      for (const { id } of stale) await this.release(id);
      return stale.length;
    },

    async release(reservationId) {
      await db.transaction(async (tx) => {
        const [held] = await tx.delete(reservations).where(eq(reservations.id, reservationId)).returning();
        if (!held) return;
        for (const period of held.daily ? [held.month, held.day] : [held.month]) {
          await tx
            .update(budgetUsage)
            .set({ reservedUsd: sql`${budgetUsage.reservedUsd} - ${usd(held.amountUsd)}` })
            .where(and(eq(budgetUsage.tenantId, held.tenantId), eq(budgetUsage.period, period)));
        }
      });
    },

    async consumeRetry(tenantId) {
      const day = dayOf(clock.now());
      await db.insert(budgetUsage).values({ tenantId, period: day }).onConflictDoNothing();
      // One conditional UPDATE: the row lock serializes concurrent callers and the limit is rechecked under it.
      const taken = await db
        .update(budgetUsage)
        .set({ retriesUsed: sql`${budgetUsage.retriesUsed} + 1` })
        .where(
          and(
            eq(budgetUsage.tenantId, tenantId),
            eq(budgetUsage.period, day),
            sql`${budgetUsage.retriesUsed} < coalesce((select ${budgets.retryBudgetPerDay} from ${budgets}
              where ${budgets.tenantId} = ${tenantId}), 2147483647)`,
          ),
        )
        .returning({ retriesUsed: budgetUsage.retriesUsed });
      return taken.length > 0;
    },

    async setBudget(tenantId, settings) {
      const values = {
        monthlyLimitUsd: settings.monthlyLimitUsd,
        prepaidBalanceUsd: settings.prepaidBalanceUsd,
        dailyLimitUsd: settings.dailyLimitUsd,
        retryBudgetPerDay: settings.retryBudgetPerDay,
        updatedAt: new Date(clock.now()),
      };
      await db
        .insert(budgets)
        .values({ tenantId, ...values })
        .onConflictDoUpdate({ target: budgets.tenantId, set: values });
    },

    async topUp(tenantId, amountUsd) {
      if (!(amountUsd > 0))
        throw new BackstopError('REQUEST_REJECTED', `a top-up must be positive (amountUsd=${amountUsd})`);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(budgets)
          .set({
            prepaidBalanceUsd: sql`${budgets.prepaidBalanceUsd} + ${usd(amountUsd)}`,
            updatedAt: new Date(clock.now()),
          })
          .where(and(eq(budgets.tenantId, tenantId), isNotNull(budgets.prepaidBalanceUsd)))
          .returning({ balance: budgets.prepaidBalanceUsd });
        if (!row || row.balance === null) {
          throw new BackstopError('REQUEST_REJECTED', `tenant ${tenantId} has no prepaid balance to top up`);
        }
        await tx.insert(spendLedger).values({
          id: `topup:${randomUUID()}`,
          tenantId,
          kind: 'topup',
          amountUsd,
          createdAt: new Date(clock.now()),
        });
        return row.balance;
      });
    },
  };
}
