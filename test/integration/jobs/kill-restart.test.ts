import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { waitFor } from '../monitoring/support.js';
import { INTERNAL_MODELS } from './support.js';

const ADMIN_KEY = 'bk_admin_kill-restart-test-key-0123456789abcdef';
const running: ServerProcess[] = [];
let dataDir = '';
afterAll(async () => {
  for (const server of running) await server.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function gql<T>(server: ServerProcess, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

// Each test starts two real server processes on a fresh file-backed database: allow for a loaded machine.
describe('jobs across a crash of the real server (kill -9)', { timeout: 90_000 }, () => {
  it('completes every job queued before the crash exactly once in the next process', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'backstop-kill-'));
    const first = await startServerProcess({}, { dataDir, adminKey: ADMIN_KEY });
    running.push(first);
    for (const model of INTERNAL_MODELS) {
      const put = await fetch(`${first.simUrl}/_sim/profiles/${model}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errorRates: { 500: 1 } }),
      });
      expect(put.status).toBe(200);
    }
    const jobIds: string[] = [];
    for (const content of ['nightly report one', 'nightly report two']) {
      const res = await fetch(`${first.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ model: 'internal', messages: [{ role: 'user', content }] }),
      });
      expect(res.status).toBe(202);
      jobIds.push(((await res.json()) as { job_id: string }).job_id);
    }
    await first.kill();

    // A new process on the same data, with healthy routes (its own simulator); its workers pick the jobs up.
    const second = await startServerProcess({}, { dataDir, adminKey: ADMIN_KEY });
    running.push(second);
    type JobState = { job: { status: string; attempts: number; result: { content: string } | null } };
    for (const id of jobIds) {
      const done = await waitFor(
        `job ${id} to be done`,
        async () => {
          const { job } = await gql<JobState>(
            second,
            'query($id: ID!) { job(id: $id) { status attempts result { content } } }',
            { id },
          );
          return job.status === 'done' && job;
        },
        { timeoutMs: 30_000, everyMs: 100 },
      );
      expect(done.attempts).toBe(1);
      expect(done.result!.content).not.toBe('');
    }
    // Decision rows are written in batches: wait until every job's row has landed, then count them.
    type Edges = { decisions: { edges: { node: { jobId: string | null; outcome: string } }[] } };
    const successesOf = (d: Edges, id: string) =>
      d.decisions.edges.filter((e) => e.node.jobId === id && e.node.outcome === 'success');
    const logged = await waitFor(
      'a success decision for every job',
      async () => {
        const d = await gql<Edges>(second, 'query { decisions(first: 200) { edges { node { jobId outcome } } } }');
        return jobIds.every((id) => successesOf(d, id).length > 0) && d;
      },
      { timeoutMs: 30_000, everyMs: 200 },
    );
    for (const id of jobIds) expect(successesOf(logged, id), `decisions of job ${id}`).toHaveLength(1);
    expect(await second.stop()).toBe(0);
  });

  it('keeps every decision row still buffered at the crash and writes it in the next process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'backstop-kill-rows-'));
    // A long flush interval keeps every row in memory (and the journal) when the process is killed.
    const first = await startServerProcess(
      { BACKSTOP_DECISION_FLUSH_MS: '600000' },
      { dataDir: dir, adminKey: ADMIN_KEY },
    );
    running.push(first);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${first.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ model: 'critical', messages: [{ role: 'user', content: `question ${i}` }] }),
      });
      expect(res.status).toBe(200);
      ids.push(res.headers.get('x-backstop-decision-id')!);
      await res.body?.cancel();
    }
    type Ids = { decisions: { edges: { node: { id: string } }[] } };
    const query = 'query { decisions(first: 200) { edges { node { id } } } }';
    const stored = (d: Ids) => new Set(d.decisions.edges.map((e) => e.node.id));
    expect(stored(await gql<Ids>(first, query)).size, 'rows written before the kill').toBe(0);
    await first.kill();

    const second = await startServerProcess({}, { dataDir: dir, adminKey: ADMIN_KEY });
    running.push(second);
    const rows = await waitFor(
      'every decision of the killed process',
      async () => {
        const got = stored(await gql<Ids>(second, query));
        return ids.every((id) => got.has(id)) && got;
      },
      { timeoutMs: 30_000, everyMs: 200 },
    );
    expect(ids.filter((id) => rows.has(id))).toHaveLength(20);
    expect(await second.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
