import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client.js';
import { initPgliteDataDir } from './pglite-data-dir.js';

const root = mkdtempSync(join(tmpdir(), 'backstop-pglite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('initPgliteDataDir', () => {
  it('creates a database in a new folder, which then opens with the migrations applied', async () => {
    const dir = join(root, 'fresh');
    await initPgliteDataDir(dir);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    const h = await openDatabase({ dataDir: dir });
    try {
      expect(JSON.stringify(await h.execute('select count(*) from tenants'))).toContain('"count":0');
    } finally {
      await h.close();
    }
  }, 120_000);

  it('creates the missing parents of a relative folder, against the caller’s working directory', async () => {
    const dir = join(root, 'missing', 'parents', 'pglite');
    await initPgliteDataDir(relative(process.cwd(), dir));
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
  }, 120_000);

  it('leaves a folder that already holds a database untouched', async () => {
    const dir = join(root, 'fresh');
    const before = statSync(join(dir, 'PG_VERSION')).mtimeMs;
    await initPgliteDataDir(dir);
    expect(statSync(join(dir, 'PG_VERSION')).mtimeMs).toBe(before);
  });

  it('names the folder when it cannot be created', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    await expect(initPgliteDataDir(join(file, 'db'))).rejects.toThrow(
      /could not initialise the PGlite data folder .*a-file/,
    );
  }, 120_000);
});
