import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../drizzle/client.js';
import { tenants } from '../../drizzle/schema/index.js';
import { randomUUID } from 'node:crypto';
import { createBudgetLeases } from '../../server/services/budget-leases.js';
import { createPgBudgetStore } from '../../server/services/pg-budget-store.js';
import type { BudgetSettings } from '../../shared/contracts/budget.js';
import { createMemoryBudgetStore } from '../../shared/engine/memory-budget-store.js';
import type { BudgetStore, Clock } from '../../shared/engine/ports.js';
import { createFakeClock } from '../../shared/testing/fake-clock.js';
import { TEST_POSTGRES_URL, testDatabases } from '../support/databases.js';

// The BudgetStore implementations the contract suites run against, and the per-suite setup they share.
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** One store as the suite sees it: `setBudget` is awaited so that sync and async implementations read alike. */
export interface Subject {
  store: BudgetStore;
  setBudget(tenantId: string, settings: BudgetSettings): Promise<void>;
}

export interface Implementation {
  name: string;
  /** Whether two store instances share state, as two gateway processes on one database do. */
  shared: boolean;
  open(): Promise<{ create(clock: Clock): Subject; peer(clock: Clock): Subject; close(): Promise<void> }>;
}

const memory: Implementation = {
  name: 'memory',
  shared: false,
  async open() {
    const create = (clock: Clock): Subject => {
      const store = createMemoryBudgetStore({ clock });
      return { store, setBudget: async (tenantId, settings) => store.setBudget(tenantId, settings) };
    };
    return { create, peer: create, close: async () => undefined };
  },
};

// A second connection pool on the same database stands in for a second gateway process.
async function openPeer(handle: DatabaseHandle): Promise<DatabaseHandle> {
  if (handle.kind === 'pglite') return { ...handle, close: async () => undefined };
  const rows = (await handle.execute('select current_database() as name')) as { name: string }[];
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${rows[0]!.name}`;
  return openDatabase({ url: url.toString(), poolSize: 10 });
}

const databases = await testDatabases();
// `leased` wraps each database's store in budget leases: the same contract must hold, in lease and exact modes.
const postgresStores = (leased: boolean): Implementation[] =>
  databases.map((database) => ({
    name: `${leased ? 'leased ' : ''}postgres (${database.name})`,
    shared: true,
    async open() {
      const handle = await database.open();
      const peerHandle = await openPeer(handle);
      const subject = (h: DatabaseHandle, clock: Clock): Subject => {
        const pg = createPgBudgetStore({ db: h.db, clock });
        const store = leased ? createBudgetLeases(pg, { clock, newId: randomUUID }) : pg;
        return {
          store,
          async setBudget(tenantId, settings) {
            await h.db.insert(tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
            await store.setBudget(tenantId, settings);
          },
        };
      };
      return {
        create: (clock) => subject(handle, clock),
        peer: (clock) => subject(peerHandle, clock),
        close: async () => {
          await peerHandle.close();
          await handle.close();
        },
      };
    },
  }));

export const budget = (over: Partial<BudgetSettings> = {}): BudgetSettings => ({
  monthlyLimitUsd: 1,
  prepaidBalanceUsd: null,
  dailyLimitUsd: null,
  retryBudgetPerDay: null,
  ...over,
});

/** Every implementation: the in-memory store, then the Postgres store on each test database, plain and leased. */
export const IMPLEMENTATIONS: Implementation[] = [memory, ...postgresStores(false), ...postgresStores(true)];

/** Call inside a `describe` for one implementation: opens it once, and gives each test fresh tenants. */
export function useBudgetSuite(impl: Implementation) {
  let factory: Awaited<ReturnType<Implementation['open']>>;
  // Tests share one database, so each works on tenants of its own.
  let seq = 0;
  const fresh = (name: string) => `${name}-${++seq}`;

  beforeAll(async () => {
    // PGlite takes seconds to start, more on a busy machine.
    factory = await impl.open();
  }, 60_000);
  afterAll(async () => {
    await factory?.close();
  });

  async function setup(settings: BudgetSettings = budget(), startMs?: number) {
    const clock = createFakeClock(startMs);
    const subject = factory.create(clock);
    const { store } = subject;
    const acme = fresh('acme');
    await subject.setBudget(acme, settings);
    let n = 0;
    const reserve = (amountUsd: number, daily = false, reservationId = `${acme}-r${++n}`) =>
      store
        .reserve({ tenantId: acme, reservationId, amountUsd, daily })
        .then((result) => ({ ...result, reservationId }));
    return { clock, store, reserve, acme, setBudget: subject.setBudget };
  }

  return { setup, fresh, factory: () => factory };
}
