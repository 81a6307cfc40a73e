import type { BreakerSnapshot, BreakerStore, Clock } from '../../shared/engine/ports.js';
import { emptyBreakerSnapshot } from '../../shared/engine/circuit-breaker.js';
import type { RedisConnections } from './redis.js';

type Bucket = BreakerSnapshot['buckets'][number];

/**
 * A state change of one route's breaker: when, by which instance, and the snapshot it produced. The newest epoch
 * (by time, then instance id) wins on every instance; a snapshot computed from an older epoch is stale.
 */
interface Epoch {
  atMs: number;
  by: string;
  base: BreakerSnapshot;
}

/** What one instance added inside the current epoch: its own calls, failure streak and half-open probes. */
interface Share {
  epochAtMs: number;
  epochBy: string;
  streak: number;
  probes: number;
  buckets: Bucket[];
  sentAtMs: number;
}

/** Published on the channel and kept in the hash, one field per route and instance. */
interface BreakerMessage {
  v: 1;
  from: string;
  routeId: string;
  sentAtMs: number;
  epoch: Epoch;
  share: Share;
}

interface RouteState {
  epoch: Epoch;
  own: Share;
  remote: Map<string, Share>;
  view?: { snapshot: BreakerSnapshot; untilMs: number };
}

export interface ReplicatedBreakerStoreOptions {
  redis: RedisConnections;
  clock: Clock;
  /** Longest delay before window and streak updates are sent, in milliseconds; state changes go at once. Defaults to 250. */
  flushEveryMs?: number;
  /** How long another instance's half-open probe holds the probe slot here, in milliseconds. Defaults to 30 000. */
  remoteProbeMs?: number;
  /** Hash entries not written for this long are dropped on load, in milliseconds. Defaults to 3 600 000 (1 h). */
  staleAfterMs?: number;
  /** Redis write failures (the local state keeps working; a reconnect sends everything again). */
  onError?: (error: unknown) => void;
}

/** A BreakerStore shared through Redis; `start()` subscribes and loads, `close()` stops replicating. */
export interface ReplicatedBreakerStore extends BreakerStore {
  start(): Promise<void>;
  close(): void;
}

const GENESIS = { atMs: 0, by: '' } as const;
const sameEpoch = (a: { atMs: number; by: string }, b: { atMs: number; by: string }) =>
  a.atMs === b.atMs && a.by === b.by;
const newer = (a: Epoch, b: Epoch) => a.atMs > b.atMs || (a.atMs === b.atMs && a.by > b.by);
const stateChanged = (a: BreakerSnapshot, b: BreakerSnapshot) =>
  a.state !== b.state || a.openedAtMs !== b.openedAtMs || a.openReason !== b.openReason;

/**
 * Breaker state for many instances: reads are local (no Redis round trip on the request path); writes update the
 * local map and go to Redis in the background (HSET of the route's state + PUBLISH), where every other instance
 * merges them into its map. State changes (open, half-open, closed) are sent at once and the newest wins everywhere;
 * each instance's calls and failure streak travel as its own share of the window, so the error rate, p95 and
 * request counts the breakers and routing read add up across instances instead of overwriting each other.
 * Redis unreachable: the local map keeps working, and a reconnect loads and sends everything again.
 * @example
 * const store = createReplicatedBreakerStore({ redis, clock }); await store.start();
 * createFallbackEngine({ ..., breakerStore: store });
 */
export function createReplicatedBreakerStore(options: ReplicatedBreakerStoreOptions): ReplicatedBreakerStore {
  const { redis, clock } = options;
  const me = redis.instanceId;
  const flushEveryMs = options.flushEveryMs ?? 250;
  const remoteProbeMs = options.remoteProbeMs ?? 30_000;
  const staleAfterMs = options.staleAfterMs ?? 3_600_000;
  const onError = options.onError ?? (() => undefined);
  const hashKey = `${redis.prefix}breakers`;
  const channel = 'breaker';
  const routes = new Map<string, RouteState>();
  // Which epoch each snapshot handed out belongs to, so that `set` can tell a stale write from a transition.
  const epochOfView = new WeakMap<BreakerSnapshot, { atMs: number; by: string }>();
  const pending = new Map<string, () => void>();
  const disposers: (() => void)[] = [];
  let closed = false;

  const emptyShare = (epoch: { atMs: number; by: string }): Share => ({
    epochAtMs: epoch.atMs,
    epochBy: epoch.by,
    streak: 0,
    probes: 0,
    buckets: [],
    sentAtMs: 0,
  });
  const stateOf = (routeId: string): RouteState => {
    let r = routes.get(routeId);
    if (!r) {
      const epoch = { ...GENESIS, base: emptyBreakerSnapshot() };
      r = { epoch, own: emptyShare(epoch), remote: new Map() };
      routes.set(routeId, r);
    }
    return r;
  };

  const viewOf = (r: RouteState): BreakerSnapshot => {
    const nowMs = clock.now();
    if (r.view && nowMs < r.view.untilMs) return r.view.snapshot;
    const { epoch } = r;
    for (const [id, share] of r.remote) {
      // Epochs only move forward: a share of an older one can never count again.
      if (!sameEpoch({ atMs: share.epochAtMs, by: share.epochBy }, epoch)) r.remote.delete(id);
    }
    const shares = [r.own, ...r.remote.values()];
    const remoteProbe = epoch.by !== me && epoch.base.state === 'half_open' && nowMs < epoch.atMs + remoteProbeMs;
    const snapshot: BreakerSnapshot = {
      state: epoch.base.state,
      openedAtMs: epoch.base.openedAtMs,
      openReason: epoch.base.openReason,
      consecutiveFailures: epoch.base.consecutiveFailures + Math.max(0, ...shares.map((s) => s.streak)),
      probesInFlight: r.own.probes + (remoteProbe ? epoch.base.probesInFlight : 0),
      buckets: sumBuckets([epoch.base.buckets, ...shares.map((s) => s.buckets)]),
    };
    epochOfView.set(snapshot, { atMs: epoch.atMs, by: epoch.by });
    r.view = { snapshot, untilMs: remoteProbe ? epoch.atMs + remoteProbeMs : Infinity };
    return snapshot;
  };

  const send = (routeId: string) => {
    pending.get(routeId)?.();
    pending.delete(routeId);
    const r = routes.get(routeId);
    // Unreachable: the change stays local; the reconnect resync sends every route again.
    if (!r || closed || redis.status() !== 'ok') return;
    r.own.sentAtMs = clock.now();
    const message: BreakerMessage = { v: 1, from: me, routeId, sentAtMs: r.own.sentAtMs, epoch: r.epoch, share: r.own };
    const json = JSON.stringify(message);
    redis.commands
      .multi()
      .hset(hashKey, JSON.stringify([routeId, me]), json)
      .publish(redis.prefix + channel, json)
      .exec()
      .catch(onError);
  };
  const schedule = (routeId: string) => {
    if (pending.has(routeId) || closed) return;
    pending.set(
      routeId,
      clock.setTimeout(() => {
        pending.delete(routeId);
        send(routeId);
      }, flushEveryMs),
    );
  };

  const apply = (message: BreakerMessage) => {
    if (message.from === me) return;
    const r = stateOf(message.routeId);
    if (newer(message.epoch, r.epoch)) {
      r.epoch = message.epoch;
      r.own = emptyShare(message.epoch);
    }
    const known = r.remote.get(message.from);
    // The hash load and the channel may deliver one instance's messages out of order: keep its latest.
    if (!known || known.sentAtMs <= message.share.sentAtMs) r.remote.set(message.from, message.share);
    r.view = undefined;
  };
  const receive = (raw: string) => {
    const message = parseMessage(raw);
    if (message) apply(message);
  };

  const load = async () => {
    const entries = await redis.commands.hgetall(hashKey);
    const staleBefore = clock.now() - staleAfterMs;
    const stale: string[] = [];
    for (const [field, raw] of Object.entries(entries)) {
      const message = parseMessage(raw);
      if (!message || message.sentAtMs < staleBefore) stale.push(field);
      else apply(message);
    }
    if (stale.length > 0) await redis.commands.hdel(hashKey, ...stale);
  };
  const resync = async () => {
    try {
      await load();
      // What this instance did while cut off (its state changes and its calls) goes out now.
      for (const [routeId, r] of routes) {
        const own = r.own;
        if (r.epoch.by === me || own.buckets.length > 0 || own.streak > 0 || own.probes > 0) send(routeId);
      }
    } catch (e) {
      onError(e);
    }
  };

  return {
    async get(routeId) {
      const r = routes.get(routeId);
      return r && viewOf(r);
    },

    async set(routeId, next, previous) {
      const r = stateOf(routeId);
      const prevView = previous ?? viewOf(r);
      // A snapshot this store never handed out is the breaker's fresh empty one: the genesis epoch.
      const from = previous ? (epochOfView.get(previous) ?? GENESIS) : r.epoch;
      const stale = !sameEpoch(from, r.epoch);
      if (stateChanged(prevView, next)) {
        // A transition from a state another instance has moved on from is dropped, unless it opens the breaker:
        // a failing probe or a tripped window here is news everywhere.
        if (stale && next.state !== 'open') return;
        const atMs = Math.max(clock.now(), r.epoch.atMs + 1);
        r.epoch = { atMs, by: me, base: { ...next, buckets: next.buckets.map(copyBucket) } };
        r.own = { ...emptyShare(r.epoch), probes: next.probesInFlight };
        r.view = undefined;
        send(routeId);
        return;
      }
      if (stale) return;
      const own = r.own;
      own.probes = Math.max(0, own.probes + next.probesInFlight - prevView.probesInFlight);
      if (next.consecutiveFailures === 0) own.streak = 0;
      else if (next.consecutiveFailures > prevView.consecutiveFailures)
        own.streak += next.consecutiveFailures - prevView.consecutiveFailures;
      own.buckets = addDelta(own.buckets, prevView.buckets, next.buckets);
      r.view = undefined;
      schedule(routeId);
    },

    async start() {
      disposers.push(redis.subscribe(channel, receive));
      disposers.push(redis.onStatusChange((s) => s === 'ok' && void resync()));
      if (redis.status() === 'ok') await load().catch(onError);
    },

    close() {
      closed = true;
      for (const dispose of disposers.splice(0)) dispose();
      for (const cancel of pending.values()) cancel();
      pending.clear();
    },
  };
}

function copyBucket(b: Bucket): Bucket {
  return { ...b, latencyCounts: [...b.latencyCounts] };
}

/** Buckets of several windows added up by start time, oldest first. */
function sumBuckets(windows: readonly (readonly Bucket[])[]): Bucket[] {
  const byStart = new Map<number, Bucket>();
  for (const window of windows) {
    for (const b of window) {
      const sum = byStart.get(b.startMs);
      if (!sum) {
        byStart.set(b.startMs, copyBucket(b));
        continue;
      }
      sum.successes += b.successes;
      sum.failures += b.failures;
      b.latencyCounts.forEach((n, i) => (sum.latencyCounts[i] = (sum.latencyCounts[i] ?? 0) + n));
    }
  }
  return [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
}

/**
 * This instance's own buckets after a write: what `next` added over `prev` (the view it was computed from), on top
 * of what it had added before. Buckets the breaker rotated out of `next` are dropped.
 */
function addDelta(own: readonly Bucket[], prev: readonly Bucket[], next: readonly Bucket[]): Bucket[] {
  const before = new Map(prev.map((b) => [b.startMs, b]));
  const mine = new Map(own.map((b) => [b.startMs, b]));
  const gain = (a: number, b: number | undefined) => Math.max(0, a - (b ?? 0));
  const result: Bucket[] = [];
  for (const b of next) {
    const p = before.get(b.startMs);
    const o = mine.get(b.startMs);
    const bucket: Bucket = {
      startMs: b.startMs,
      successes: (o?.successes ?? 0) + gain(b.successes, p?.successes),
      failures: (o?.failures ?? 0) + gain(b.failures, p?.failures),
      latencyCounts: b.latencyCounts.map((n, i) => (o?.latencyCounts[i] ?? 0) + gain(n, p?.latencyCounts[i])),
    };
    if (bucket.successes + bucket.failures > 0) result.push(bucket);
  }
  return result;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Another instance's message, or undefined for anything malformed (a different version, a foreign writer). */
function parseMessage(raw: string): BreakerMessage | undefined {
  try {
    const m: unknown = JSON.parse(raw);
    if (!isRecord(m) || m.v !== 1 || typeof m.from !== 'string' || typeof m.routeId !== 'string') return undefined;
    if (typeof m.sentAtMs !== 'number' || !isRecord(m.epoch) || !isRecord(m.share)) return undefined;
    if (!isRecord(m.epoch.base) || !Array.isArray(m.epoch.base.buckets) || !Array.isArray(m.share.buckets))
      return undefined;
    return m as unknown as BreakerMessage;
  } catch {
    return undefined;
  }
}
