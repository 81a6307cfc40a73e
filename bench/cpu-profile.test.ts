import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleSourceOf, packageOf, summarizeProfile, type CallFrame, type CpuProfile } from './cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0): CallFrame => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
});

// root -> idle; root -> handler (app.ts) -> parse (zod); root -> (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('handler', 'file:///app/server/app.ts', 10), children: [4] },
    { id: 4, callFrame: frame('parse', 'file:///app/node_modules/zod/v4/core/schemas.js', 5) },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  startTime: 0,
  endTime: 1050,
  samples: [2, 3, 4, 4, 5, 3],
  timeDeltas: [100, 200, 200, 200, 300, 50],
};
const bySimpleSource = (f: CallFrame) =>
  packageOf(f.url) ?? (f.url ? f.url.replace('file:///app/', '') : f.functionName);

describe('summarizeProfile', () => {
  it('splits wall time into idle and busy and gives each source its self time', () => {
    const summary = summarizeProfile(profile, bySimpleSource, 4);
    expect(summary).toMatchObject({ wallMs: 1.05, idleMs: 0.1, busyMs: 0.95 });
    expect(summary.bySource.map((r) => [r.name, r.ms])).toEqual([
      ['pkg:zod', 0.4],
      ['(garbage collector)', 0.3],
      ['server/app.ts', 0.25],
    ]);
    expect(summary.bySource[0]!.busyPct).toBeCloseTo((100 * 0.4) / 0.95, 10);
    expect(summary.bySource[0]!.usPerRequest).toBeCloseTo(100, 10);
  });

  it('names functions with their source, and V8 pseudo-frames as themselves', () => {
    const names = summarizeProfile(profile, bySimpleSource).byFunction.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['parse pkg:zod', 'handler server/app.ts', '(garbage collector)']));
    expect(names).not.toContain('(idle)');
  });

  it('gives NaN per request when no request count is known', () => {
    expect(summarizeProfile(profile, bySimpleSource).bySource[0]!.usPerRequest).toBeNaN();
  });
});

describe('packageOf', () => {
  it('names plain and scoped packages, and nothing outside node_modules', () => {
    expect(packageOf('file:///x/node_modules/undici/lib/core/util.js')).toBe('pkg:undici');
    expect(packageOf('/x/node_modules/@hono/node-server/dist/index.mjs')).toBe('pkg:@hono/node-server');
    expect(packageOf('file:///x/node_modules/a/node_modules/b/i.js')).toBe('pkg:a');
    expect(packageOf('node:internal/abort_controller')).toBeUndefined();
  });
});

describe('bundleSourceOf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-profile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a frame in an esbuild bundle back to the repository file it came from', async () => {
    writeFileSync(join(dir, 'engine.ts'), 'export function plan(n: number) {\n  return n * 2;\n}\n');
    writeFileSync(join(dir, 'main.ts'), "import { plan } from './engine.js';\nconsole.log(plan(21));\n");
    const outfile = join(dir, 'out', 'main.mjs');
    await build({
      entryPoints: [join(dir, 'main.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      sourcemap: 'external',
      logLevel: 'silent',
    });
    const sourceOf = bundleSourceOf(outfile);
    const lines = readFileSync(outfile, 'utf8').split('\n');
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
    const inBundle = (line: number) => sourceOf(frame('f', `file://${outfile}`, line));
    expect(inBundle(at('n * 2'))).toBe('engine.ts');
    expect(inBundle(at('console.log'))).toBe('main.ts');
    expect(sourceOf(frame('get', 'file:///x/node_modules/hono/dist/hono.js'))).toBe('pkg:hono');
    expect(sourceOf(frame('emit', 'node:events'))).toBe('node:events');
    expect(sourceOf(frame('(program)'))).toBe('(program)');
  });
});
