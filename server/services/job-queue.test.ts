import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../drizzle/client.js';
import { createThrowawayPostgres, postgresAvailable } from '../../test/support/databases.js';
import { createJobQueue, createQueueOnce, JOB_QUEUE } from './job-queue.js';
import { createJobStore } from './job-store.js';
import { startPgBoss } from './pg-boss-connection.js';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('createQueueOnce', () => {
  it('creates again after a deadlock, when the other instance has made the queue', async () => {
    let calls = 0;
    await createQueueOnce(async () => {
      if (++calls === 1) throw deadlock();
    });
    expect(calls).toBe(2);
  });

  it('throws any other error at once, and a deadlock that keeps coming after the last attempt', async () => {
    let calls = 0;
    const refused = Object.assign(new Error('permission denied'), { code: '42501' });
    await expect(
      createQueueOnce(async () => {
        calls++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      createQueueOnce(async () => {
        calls++;
        throw deadlock();
      }, 3),
    ).rejects.toMatchObject({ code: '40P01' });
    expect(calls).toBe(3);
  });
});

// Several gateway processes starting together on a new database each create the job queue: pg-boss's create_queue
// could deadlock between them, and the losing process exited before it listened.
describe.skipIf(!(await postgresAvailable()))('the job queue on a new Postgres database', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('is created once when six instances start at the same moment, and every one of them starts', async () => {
    const throwaway = await createThrowawayPostgres();
    cleanup.push(() => throwaway.drop());
    const instances = 6;
    const databases: DatabaseHandle[] = [];
    for (let i = 0; i < instances; i++) {
      const database = await openDatabase({ url: throwaway.url, poolSize: 2 });
      cleanup.push(() => database.close());
      databases.push(database);
    }
    const errors: unknown[] = [];
    const bosses = await Promise.all(databases.map((d) => startPgBoss(d, { onError: (e) => errors.push(e) })));
    for (const boss of bosses) cleanup.push(() => boss.stop({ graceful: false }));

    const created = await Promise.allSettled(
      bosses.map((boss, i) =>
        createJobQueue({
          boss,
          store: createJobStore(databases[i]!.db),
          isBatchPaused: async () => false,
          notify: () => undefined,
        }),
      ),
    );
    expect(created.map((c) => c.status)).toEqual(Array(instances).fill('fulfilled'));
    const queues = (await bosses[0]!.getQueues()).filter((q) => q.name === JOB_QUEUE);
    expect(queues).toHaveLength(1);
    expect(errors).toEqual([]);
  }, 60_000);
});
