import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type Database, type DatabaseHandle } from '../../../drizzle/client.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { expectData, fallbackDecision } from './support.js';

// Every statement the services send goes through drizzle's logger: counting them shows what one query costs.
const statements: string[] = [];
let counting = false;
let tb: TestBackstop;
let client: PGlite;

beforeAll(async () => {
  client = await PGlite.create('memory://');
  const db = drizzle(client, {
    schema,
    logger: { logQuery: (query) => void (counting && statements.push(query)) },
  });
  await migrate(db, { migrationsFolder: fileURLToPath(new URL('../../../drizzle/migrations', import.meta.url)) });
  const database: DatabaseHandle = {
    db: db as unknown as Database,
    kind: 'pglite',
    pglite: client,
    execute: (sql) => client.exec(sql),
    close: () => client.close(),
  };
  tb = await startTestBackstop({ database });
  const tenants = Array.from({ length: 10 }, (_, i) => `t${i}`);
  for (const t of tenants) {
    await tb.services.tenants.ensureTenant(t);
    await tb.services.budgets.setBudget(t, {
      monthlyLimitUsd: 100,
      prepaidBalanceUsd: null,
      dailyLimitUsd: null,
      retryBudgetPerDay: null,
    });
    await tb.key('tenant', t);
  }
  const start = Date.now() - 60_000;
  for (let i = 0; i < 60; i++) tb.services.decisions.record(fallbackDecision(`d${i}`, tenants[i % 10]!, start + i));
  await tb.services.decisions.flush();
});
afterAll(async () => {
  await tb.close();
  await client.close();
});

/** The statements one GraphQL request sends, after a warm-up run (which also fills the API key cache). */
async function statementsFor(query: string, variables: Record<string, unknown>) {
  expectData(await tb.gql(query, variables));
  statements.length = 0;
  counting = true;
  try {
    const res = await tb.gql(query, variables);
    return { data: expectData(res), sql: [...statements] };
  } finally {
    counting = false;
  }
}

const DECISIONS = /* GraphQL */ `
  query ($first: Int!) {
    decisions(first: $first) {
      edges {
        node {
          id
          tenant {
            id
            name
          }
          attempts {
            index
            routeId
            outcome
          }
        }
      }
    }
  }
`;

describe('batching', () => {
  it('loads a page of decisions with attempts and tenants in three statements, whatever the page size', async () => {
    const small = await statementsFor(DECISIONS, { first: 5 });
    const large = await statementsFor(DECISIONS, { first: 50 });

    expect(small.data.decisions.edges).toHaveLength(5);
    expect(large.data.decisions.edges).toHaveLength(50);
    expect(large.data.decisions.edges[0].node.attempts).toHaveLength(2);
    expect(large.data.decisions.edges[0].node.tenant.id).toMatch(/^t\d$/);

    expect(small.sql).toHaveLength(3);
    expect(large.sql).toHaveLength(3);
    // One statement per relation: the page, every attempt of the page, every tenant of the page.
    expect(large.sql.map((s) => s.match(/from "(\w+)"/)?.[1]).sort()).toEqual(['attempts', 'decisions', 'tenants']);
  });

  it('loads every tenant with its budget and keys in a constant number of statements', async () => {
    const TENANTS = /* GraphQL */ `
      {
        tenants {
          id
          budget {
            spentUsd
            band
          }
          apiKeys {
            prefix
          }
        }
      }
    `;
    const { data, sql } = await statementsFor(TENANTS, {});
    expect(data.tenants.length).toBeGreaterThanOrEqual(10);
    expect(data.tenants.find((t: { id: string }) => t.id === 't3').budget).toEqual({ spentUsd: 0, band: 'normal' });
    // tenants, then budgets + usage, then API keys: four statements for any number of tenants.
    expect(sql).toHaveLength(4);
  });
});
