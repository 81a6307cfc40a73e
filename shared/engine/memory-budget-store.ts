import type { BudgetSettings, BudgetSnapshot } from '../contracts/budget.js';
import type { BudgetStore, Clock, ReservationResult } from './ports.js';

export interface MemoryBudgetStoreOptions {
  clock: Clock;
  /** Budgets by tenant id. Tenants not listed are unlimited until `setBudget` gives them one. */
  settings?: Record<string, BudgetSettings>;
}

/** A `BudgetStore` for one process, plus a way to set budgets. */
export interface MemoryBudgetStore extends BudgetStore {
  /** Sets or replaces a tenant's budget; spend so far this month and day is kept, the prepaid balance is replaced. */
  setBudget(tenantId: string, settings: BudgetSettings): void;
}

interface Hold {
  tenantId: string;
  amountUsd: number;
  daily: boolean;
}

interface TenantState {
  settings: BudgetSettings | undefined;
  monthKey: number;
  dayKey: number;
  spentUsd: number;
  dailySpentUsd: number;
  retriesUsedToday: number;
  holds: Map<string, Hold>;
}

const DAY_MS = 86_400_000;

// Sums of float amounts drift by ~1e-16; a nano-dollar of slack keeps "exactly at the limit" from being denied.
const EPSILON_USD = 1e-9;

const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);
const utcMonth = (ms: number): number => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

function heldUsd(state: TenantState, dailyOnly: boolean): number {
  let sum = 0;
  for (const hold of state.holds.values()) if (!dailyOnly || hold.daily) sum += hold.amountUsd;
  return sum;
}

function denial(state: TenantState, amountUsd: number, daily: boolean): ReservationResult | undefined {
  const settings = state.settings;
  if (!settings) return undefined;
  const reserved = heldUsd(state, false);
  if (state.spentUsd + reserved + amountUsd > settings.monthlyLimitUsd + EPSILON_USD) {
    return { ok: false, budget: 'monthly' };
  }
  if (settings.prepaidBalanceUsd !== null && settings.prepaidBalanceUsd - reserved - amountUsd < -EPSILON_USD) {
    return { ok: false, budget: 'prepaid' };
  }
  if (
    daily &&
    settings.dailyLimitUsd !== null &&
    state.dailySpentUsd + heldUsd(state, true) + amountUsd > settings.dailyLimitUsd + EPSILON_USD
  ) {
    return { ok: false, budget: 'daily' };
  }
  return undefined;
}

/**
 * An in-memory `BudgetStore`: holds are checked and written in one synchronous step, so concurrent requests in
 * this process never together pass a limit. Monthly spend resets at the start of each UTC month, daily spend and
 * retries at the start of each UTC day, read from `clock`.
 * @example
 * const budgets = createMemoryBudgetStore({ clock });
 * budgets.setBudget('acme', { monthlyLimitUsd: 100, prepaidBalanceUsd: null, dailyLimitUsd: 5, retryBudgetPerDay: 20 });
 */
export function createMemoryBudgetStore(options: MemoryBudgetStoreOptions): MemoryBudgetStore {
  const { clock } = options;
  const tenants = new Map<string, TenantState>();
  const holds = new Map<string, Hold>();

  // Rollover happens lazily on each touch: no timers, and a store idle across midnight is still correct.
  const tenant = (tenantId: string): TenantState => {
    const now = clock.now();
    let state = tenants.get(tenantId);
    if (!state) {
      const preset = options.settings?.[tenantId];
      state = {
        settings: preset ? { ...preset } : undefined,
        monthKey: utcMonth(now),
        dayKey: utcDay(now),
        spentUsd: 0,
        dailySpentUsd: 0,
        retriesUsedToday: 0,
        holds: new Map(),
      };
      tenants.set(tenantId, state);
    }
    const month = utcMonth(now);
    if (month !== state.monthKey) {
      state.monthKey = month;
      state.spentUsd = 0;
    }
    const day = utcDay(now);
    if (day !== state.dayKey) {
      state.dayKey = day;
      state.dailySpentUsd = 0;
      state.retriesUsedToday = 0;
    }
    return state;
  };

  const drop = (reservationId: string): { hold: Hold; state: TenantState } | undefined => {
    const hold = holds.get(reservationId);
    if (!hold) return undefined;
    holds.delete(reservationId);
    const state = tenant(hold.tenantId);
    state.holds.delete(reservationId);
    return { hold, state };
  };

  return {
    async snapshot(tenantId) {
      const state = tenant(tenantId);
      if (!state.settings) return undefined;
      const snapshot: BudgetSnapshot = {
        tenantId,
        ...state.settings,
        spentUsd: state.spentUsd,
        reservedUsd: heldUsd(state, false),
        dailySpentUsd: state.dailySpentUsd,
        retriesUsedToday: state.retriesUsedToday,
      };
      return snapshot;
    },

    // No await anywhere in here: check and hold must happen in the same synchronous turn to stay atomic.
    async reserve({ tenantId, reservationId, amountUsd, daily }) {
      // A repeated reserve (a retried call) must not hold the amount twice.
      if (holds.has(reservationId)) return { ok: true };
      const state = tenant(tenantId);
      const denied = denial(state, amountUsd, daily);
      if (denied) return denied;
      const hold: Hold = { tenantId, amountUsd, daily };
      holds.set(reservationId, hold);
      state.holds.set(reservationId, hold);
      return { ok: true };
    },

    async settle(reservationId, actualUsd) {
      const dropped = drop(reservationId);
      if (!dropped) return;
      const { hold, state } = dropped;
      // Spend is tracked for unlimited tenants too, so a budget set mid-month starts from the real figure.
      state.spentUsd += actualUsd;
      if (hold.daily) state.dailySpentUsd += actualUsd;
      // The balance may dip below zero when a call costs more than it reserved: that overdraft was really spent.
      if (state.settings && state.settings.prepaidBalanceUsd !== null) state.settings.prepaidBalanceUsd -= actualUsd;
    },

    async release(reservationId) {
      drop(reservationId);
    },

    async consumeRetry(tenantId) {
      const state = tenant(tenantId);
      const limit = state.settings?.retryBudgetPerDay ?? null;
      if (limit !== null && state.retriesUsedToday >= limit) return false;
      state.retriesUsedToday++;
      return true;
    },

    setBudget(tenantId, settings) {
      tenant(tenantId).settings = { ...settings };
    },
  };
}
