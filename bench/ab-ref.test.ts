import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../server/build.js';
import { buildRef, declaredNodeFlags } from './ab-ref.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('declaredNodeFlags', () => {
  it("reads this checkout's gateway flags from the text of server/build.ts", () => {
    expect(declaredNodeFlags(readFileSync(`${ROOT}server/build.ts`, 'utf8'))).toEqual([...GATEWAY_NODE_FLAGS]);
  });

  it('reads single- and double-quoted lists, and nothing from a file that declares none', () => {
    const source = `export const GATEWAY_NODE_FLAGS = ["--max-semi-space-size=4", '--stack-size=2000'] as const;`;
    expect(declaredNodeFlags(source)).toEqual(['--max-semi-space-size=4', '--stack-size=2000']);
    expect(declaredNodeFlags('export const OTHER = [1];')).toBeUndefined();
  });
});

describe('buildRef', () => {
  it('builds a commit from a git worktree once, with the flags that commit declares', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const first = await buildRef(ROOT, 'HEAD');
    expect(first.commit).toBe(head.slice(0, 12));
    expect(existsSync(first.script)).toBe(true);
    const committed = execFileSync('git', ['show', `${head}:server/build.ts`], { cwd: ROOT, encoding: 'utf8' });
    expect(first.nodeFlags).toEqual(declaredNodeFlags(committed));
    // The worktree is gone and a second call reuses the bundle.
    expect(execFileSync('git', ['worktree', 'list'], { cwd: ROOT, encoding: 'utf8' })).not.toContain('backstop-ab-');
    const builtAt = statSync(first.script).mtimeMs;
    expect(await buildRef(ROOT, head)).toEqual(first);
    expect(statSync(first.script).mtimeMs).toBe(builtAt);
  }, 60_000);
});
