import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../server/build.js';

/**
 * The gateway Node flags a checkout's `server/build.ts` declares (`GATEWAY_NODE_FLAGS = [...] as const`), read from its
 * text because that commit's modules cannot be imported here; undefined when the file does not declare them.
 */
export function declaredNodeFlags(buildSource: string): string[] | undefined {
  const list = /GATEWAY_NODE_FLAGS\s*=\s*\[([^\]]*)\]/.exec(buildSource)?.[1];
  if (list === undefined) return undefined;
  return [...list.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * Builds the gateway of `ref` (any commit-ish) of the checkout at `root` once, into dist/server-ab/<commit>/, from a
 * temporary git worktree; returns its bundle and the Node flags that commit runs it with.
 */
export async function buildRef(
  root: string,
  ref: string,
): Promise<{ commit: string; script: string; nodeFlags: string[] | undefined }> {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' })
    .trim()
    .slice(0, 12);
  const outDir = join(root, 'dist/server-ab', commit);
  const script = join(outDir, 'main.mjs');
  const flagsFile = join(outDir, 'node-flags.json');
  const built = () => ({
    commit,
    script,
    nodeFlags: (JSON.parse(readFileSync(flagsFile, 'utf8')) as string[] | null) ?? undefined,
  });
  if (existsSync(script) && existsSync(flagsFile)) return built();
  const worktree = mkdtempSync(join(tmpdir(), 'backstop-ab-'));
  try {
    execFileSync('git', ['worktree', 'add', '--detach', '--force', worktree, commit], { cwd: root, stdio: 'ignore' });
    await buildServer(outDir, worktree);
    const flags = declaredNodeFlags(readFileSync(join(worktree, 'server/build.ts'), 'utf8'));
    writeFileSync(flagsFile, JSON.stringify(flags ?? null));
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root, stdio: 'ignore' });
    rmSync(worktree, { recursive: true, force: true });
  }
  return built();
}
