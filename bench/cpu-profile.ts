import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The parts of a V8 `.cpuprofile` (Chrome DevTools' format, as `--cpu-prof` and the inspector write it) we read. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample; the first is since `startTime`. */
  timeDeltas: number[];
}

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based. */
  lineNumber: number;
  columnNumber: number;
}

/** Where a frame's code comes from: `server/app.ts`, `pkg:undici`, `node:internal/...`, or a V8 pseudo-frame. */
export type SourceOf = (frame: CallFrame) => string;

/** Time spent with a frame on top of the stack, grouped one way. */
export interface ProfileRow {
  name: string;
  ms: number;
  /** Share of the busy time (everything but `(idle)`), in percent. */
  busyPct: number;
  /** Microseconds per request when the caller gave a request count, else NaN. */
  usPerRequest: number;
}

export interface ProfileSummary {
  wallMs: number;
  busyMs: number;
  idleMs: number;
  /** Self time by source file, package or runtime part (garbage collector, program), busiest first. */
  bySource: ProfileRow[];
  /** Self time by function (`name source:line`), busiest first. */
  byFunction: ProfileRow[];
}

const IDLE = '(idle)';

/** Self time per node id: each sample's delta goes to the node it landed on. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return self;
}

/**
 * Self time of a CPU profile by source and by function. `sourceOf` names where a frame's code lives (see
 * `bundleSourceOf`); `requests` turns times into microseconds per request.
 * @example summarizeProfile(profile, bundleSourceOf('dist/server-bench/main.mjs'), 12_000).bySource.slice(0, 20)
 */
export function summarizeProfile(profile: CpuProfile, sourceOf: SourceOf, requests = NaN): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const bySource = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleUs = 0;
  let wallUs = 0;
  for (const [id, us] of selfTimes(profile)) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    wallUs += us;
    if (frame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    const source = sourceOf(frame);
    bySource.set(source, (bySource.get(source) ?? 0) + us);
    const fn = frame.url ? `${frame.functionName || '(anonymous)'} ${source}` : frame.functionName;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const busyUs = wallUs - idleUs;
  const rows = (m: Map<string, number>): ProfileRow[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({
        name,
        ms: us / 1000,
        busyPct: busyUs > 0 ? (100 * us) / busyUs : 0,
        usPerRequest: us / requests,
      }));
  return {
    wallMs: wallUs / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    bySource: rows(bySource),
    byFunction: rows(byFunction),
  };
}

/** `pkg:<name>` for a file under node_modules (scoped names kept whole), else undefined. */
export function packageOf(url: string): string | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match ? `pkg:${match[1]}` : undefined;
}

/**
 * A `SourceOf` for a profile of the esbuild bundle at `bundlePath`: frames in the bundle map through its source map
 * (`<bundle>.map`) to the repository file they came from; packages by name; Node's own modules as `node:...`; V8's
 * pseudo-frames, such as `(garbage collector)` and `(program)`, as themselves.
 */
export function bundleSourceOf(bundlePath: string): SourceOf {
  const map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')) as SourceMapPayload);
  const bundleUrl = pathToFileURL(bundlePath).href;
  const cache = new Map<string, string>();
  return (frame) => {
    const { url } = frame;
    if (!url) return frame.functionName;
    if (url !== bundleUrl && url !== bundlePath) {
      return packageOf(url) ?? (url.startsWith('node:') ? url : url.replace(/^file:\/\//, ''));
    }
    const key = `${frame.lineNumber}:${frame.columnNumber}`;
    let source = cache.get(key);
    if (source === undefined) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
      // Sources are relative to the bundle's folder (../../server/app.ts); the repository root is two levels up.
      source = entry.originalSource ? entry.originalSource.replace(/^(\.\.\/)+/, '') : 'bundle';
      if (source.startsWith('file://')) source = fileURLToPath(source);
      cache.set(key, source);
    }
    return source;
  };
}
